// The login throttle's schedule and rules with an injected clock, over a real SQLite store (in memory).
#include "service/login_throttle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "memory_store.hpp"
#include "service/hash_gate.hpp"
#include "storage/store.hpp"

namespace haven::service {
namespace {

using namespace std::chrono_literals;

TEST(FailureDelay, FreeFailuresThenOneSecondDoublingToFifteenMinutes) {
    LoginThrottleSettings s;
    for (int n = 0; n < 5; ++n) EXPECT_EQ(FailureDelay(n, s), 0ms) << n;
    EXPECT_EQ(FailureDelay(5, s), 1s);
    EXPECT_EQ(FailureDelay(6, s), 2s);
    EXPECT_EQ(FailureDelay(7, s), 4s);
    EXPECT_EQ(FailureDelay(14, s), 512s);
    EXPECT_EQ(FailureDelay(15, s), 15min);  // 1024 s would pass the cap
    EXPECT_EQ(FailureDelay(700, s), 15min);
    EXPECT_EQ(FailureDelay(INT64_MAX, s), 15min);
}

TEST(WaitInWords, SecondsThenMinutes) {
    EXPECT_EQ(WaitInWords(1), "1 second");
    EXPECT_EQ(WaitInWords(42), "42 seconds");
    EXPECT_EQ(WaitInWords(119), "119 seconds");
    EXPECT_EQ(WaitInWords(121), "3 minutes");
    EXPECT_EQ(WaitInWords(900), "15 minutes");
}

class LoginThrottleTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::OpenMemoryStore(store_);
        if (HasFatalFailure()) return;
        Make(LoginThrottleSettings{});
    }

    void Make(LoginThrottleSettings settings) {
        throttle_ = std::make_unique<LoginThrottle>(*store_, settings, [this] { return now_ms_.load(); });
    }

    void Fail(int n, const std::string& email = "admin@a.test", const std::string& address = "10.0.0.1") {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(throttle_->RecordFailure(email, address));
    }

    LoginVerdict Check(const std::string& email = "admin@a.test", const std::string& address = "10.0.0.1") {
        auto v = throttle_->Check(email, address);
        EXPECT_TRUE(v) << v.error().message;
        return v ? *v : LoginVerdict{};
    }

    void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

    std::unique_ptr<storage::Store> store_;
    std::unique_ptr<LoginThrottle> throttle_;
    std::atomic<int64_t> now_ms_{1'800'000'000'000};
};

TEST_F(LoginThrottleTest, DelayDoublesAfterEachFailureOnceFiveAreSpent) {
    Fail(4);
    EXPECT_TRUE(Check().allowed);
    Fail(1);  // 5th
    auto v = Check();
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, LoginVerdict::Reason::kAccount);
    EXPECT_EQ(v.retry_after_seconds, 1);
    EXPECT_EQ(v.message, "Too many failed logins for this account from your network: try again in 1 second");

    int64_t expected = 1;
    for (int failure = 6; failure <= 16; ++failure) {
        Advance(std::chrono::seconds(expected));  // the delay is over: one more try
        ASSERT_TRUE(Check().allowed) << failure;
        Fail(1);
        expected = std::min<int64_t>(expected * 2, 900);
        auto after = Check();
        EXPECT_FALSE(after.allowed) << failure;
        EXPECT_EQ(after.retry_after_seconds, expected) << failure;
    }
    EXPECT_EQ(expected, 900);
    Advance(899s);
    EXPECT_EQ(Check().retry_after_seconds, 1);
    Advance(1s);
    EXPECT_TRUE(Check().allowed);
}

TEST_F(LoginThrottleTest, RetryAfterRoundsUp) {
    Fail(6);  // 2 s
    Advance(1500ms);
    EXPECT_EQ(Check().retry_after_seconds, 1);
    Advance(499ms);
    EXPECT_FALSE(Check().allowed);
    Advance(1ms);
    EXPECT_TRUE(Check().allowed);
}

TEST_F(LoginThrottleTest, OnlyTheSameAccountAndAddressAreDelayed) {
    Fail(5);
    EXPECT_FALSE(Check().allowed);
    EXPECT_FALSE(Check("ADMIN@A.TEST").allowed);             // e-mails are compared lower-cased
    EXPECT_TRUE(Check("admin@a.test", "10.0.0.2").allowed);  // the real admin elsewhere
    EXPECT_TRUE(Check("manager@a.test").allowed);
}

TEST_F(LoginThrottleTest, SuccessClearsTheAccountAtThatAddress) {
    Fail(5, "admin@a.test", "10.0.0.1");
    Fail(5, "admin@a.test", "10.0.0.9");
    ASSERT_TRUE(throttle_->RecordSuccess("Admin@A.test", "10.0.0.1"));
    EXPECT_TRUE(Check("admin@a.test", "10.0.0.1").allowed);
    EXPECT_FALSE(Check("admin@a.test", "10.0.0.9").allowed);
    Fail(4);
    EXPECT_TRUE(Check().allowed);  // counted from zero again
}

TEST_F(LoginThrottleTest, AQuietDayStartsAfresh) {
    Fail(12);
    Advance(24h + 1s);
    EXPECT_TRUE(Check().allowed);
    Fail(1);
    EXPECT_TRUE(Check().allowed);  // one failure, not the 13th
}

TEST_F(LoginThrottleTest, AddressCeilingCountsEveryAccountInTheWindow) {
    LoginThrottleSettings s;
    s.address_max_failures = 3;
    s.address_window = 600s;
    Make(s);
    Fail(1, "a@x.test");
    Advance(100s);
    Fail(1, "b@x.test");
    Fail(1, "c@x.test");
    auto v = Check("someone-else@x.test");
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, LoginVerdict::Reason::kAddress);
    EXPECT_EQ(v.retry_after_seconds, 500);  // when the first failure leaves the window
    EXPECT_EQ(v.message, "Too many failed logins from your network: try again in 9 minutes");
    EXPECT_TRUE(Check("someone-else@x.test", "10.0.0.2").allowed);
    Advance(500s);
    EXPECT_TRUE(Check("someone-else@x.test").allowed);
}

TEST_F(LoginThrottleTest, OldRowsArePruned) {
    Fail(3, "a@x.test", "10.0.0.1");
    Advance(25h);
    Fail(1, "b@x.test", "10.0.0.2");  // triggers a prune of what is older than a day / the window
    EXPECT_EQ(store_->FindLoginFailures("a@x.test", "10.0.0.1")->failures, 0);
    EXPECT_EQ(store_->CountAddressLoginFailures("10.0.0.1", 0)->count, 0);
    EXPECT_EQ(store_->FindLoginFailures("b@x.test", "10.0.0.2")->failures, 1);
}

TEST(HashGate, AdmitsConcurrencyPlusQueueAndRefusesTheNextAtOnce) {
    HashGate gate(2, 0);
    auto a = gate.TryEnter();
    auto b = gate.TryEnter();
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(gate.TryEnter());
    EXPECT_EQ(gate.admitted(), 2);
    a.reset();
    EXPECT_TRUE(gate.TryEnter());  // a slot came back (and went again with the temporary)
    EXPECT_EQ(gate.admitted(), 1);
}

TEST(HashGate, QueuedCallersWaitForASlot) {
    HashGate gate(1, 2);
    auto first = gate.TryEnter();
    ASSERT_TRUE(first);
    std::atomic<int> got{0};
    std::vector<std::thread> waiting;
    for (int i = 0; i < 2; ++i) {
        waiting.emplace_back([&] {
            auto p = gate.TryEnter();
            if (p) ++got;
        });
    }
    // Both are admitted (queued) while the slot is held; a fourth caller is refused without waiting.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (gate.admitted() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_EQ(gate.admitted(), 3);
    EXPECT_FALSE(gate.TryEnter());
    EXPECT_EQ(got.load(), 0);
    first.reset();
    for (auto& t : waiting) t.join();
    EXPECT_EQ(got.load(), 2);
    EXPECT_EQ(gate.admitted(), 0);
}

TEST(HashGate, SubmittedChecksRunOnTheGatesThreadsAndTheQueueIsBounded) {
    HashGate gate(1, 1);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> ran{0};
    std::atomic<bool> on_caller_thread{false};
    const auto caller = std::this_thread::get_id();
    auto job = [&] {
        if (std::this_thread::get_id() == caller) on_caller_thread = true;
        released.wait();
        ++ran;
    };
    EXPECT_TRUE(gate.Submit(job));   // runs
    EXPECT_TRUE(gate.Submit(job));   // waits for the slot
    EXPECT_FALSE(gate.Submit(job));  // beyond the queue: refused at once, the caller never waits
    EXPECT_EQ(gate.admitted(), 2);
    release.set_value();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (gate.admitted() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_EQ(ran.load(), 2);
    EXPECT_EQ(gate.admitted(), 0);
    EXPECT_FALSE(on_caller_thread.load());
    gate.Stop();
    EXPECT_FALSE(gate.Submit(job));
}

}  // namespace
}  // namespace haven::service
