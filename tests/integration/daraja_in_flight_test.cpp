// Daraja calls do not hold a thread: with two worker threads and a slow Daraja, many pushes wait on Daraja at
// once and the gateway keeps answering; beyond DARAJA_MAX_IN_FLIGHT a push is turned away and changes nothing.
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr int64_t kSlowAmount = 77;
constexpr int kSlowMs = 6000;

/// Two worker threads (the fewest allowed) and `limit` requests allowed to wait on Daraja.
class SlowDaraja : public GatewayTest {
  protected:
    explicit SlowDaraja(int64_t limit) : limit_(limit) {}
    void SetUp() override {
        StartGateway([this](app::Config& c) {
            c.worker_threads = 2;
            c.daraja_max_in_flight = limit_;
        });
    }

    /// Pushes that wait on a slow Daraja, each from its own thread (and phone: Daraja locks a subscriber
    /// with an open prompt). `answered` counts those that got their answer.
    void StartSlowPushes(const std::string& token, int count) {
        SimRule(kSlowAmount, {{"slowMs", kSlowMs}});
        for (int i = 0; i < count; ++i) {
            pushers_.emplace_back([this, token, i] {
                json body = StkBody(kSlowAmount);
                body["phoneNumber"] = "07083741" + std::to_string(10 + i);
                auto r = Api("POST", "/api/v1/mpesa/stk-push", body, token);
                statuses_[i] = r.status;
                ++answered_;
            });
        }
    }

    void JoinPushes() {
        for (auto& t : pushers_) t.join();
        pushers_.clear();
    }

    void TearDown() override {
        JoinPushes();
        GatewayTest::TearDown();
    }

    /// The agency's STK rows (only PENDING ones with `pending`).
    size_t Rows(bool pending = false) {
        storage::StkFilter filter;
        filter.agency_id = AgencyA();
        if (pending) filter.status = core::TxStatus::kPending;
        filter.limit = 100;
        auto rows = gateway_->store().ListStk(filter);
        return rows ? rows->size() : 0;
    }

    int64_t AgencyA() {
        auto user = gateway_->store().FindUserByEmail("admin@a.test");
        return user ? user->agency_id : 0;
    }

    const int64_t limit_;
    std::vector<std::thread> pushers_;
    std::atomic<int> answered_{0};
    std::array<std::atomic<int>, 16> statuses_{};
};

class ManySlowPushes : public SlowDaraja {
  protected:
    ManySlowPushes() : SlowDaraja(256) {}
};

class DarajaInFlight : public SlowDaraja {
  protected:
    DarajaInFlight() : SlowDaraja(4) {}
};

TEST_F(ManySlowPushes, HoldNoThreadAllWaitOnDarajaTogetherAndReadsStillAnswer) {
    // Two worker threads, twelve pushes: a push holding its thread while Daraja answers would leave rows unwritten
    // (and the status read unanswered) until the first pushes come back.
    constexpr int kPushes = 12;
    auto token = Login("admin@a.test");
    StartSlowPushes(token, kPushes);
    ASSERT_TRUE(Eventually([&] { return Rows(true) == kPushes; }, std::chrono::milliseconds(kSlowMs - 2000)))
        << Rows(true) << " of " << kPushes << " rows written while Daraja is slow";
    auto read = Api("GET", "/api/v1/mpesa/status/ws_CO_unknown", nullptr, token);
    EXPECT_EQ(read.status, 404) << read.body.dump();
    EXPECT_EQ(answered_.load(), 0) << "the read and the rows should not have waited for Daraja";
    JoinPushes();
    for (int i = 0; i < kPushes; ++i) EXPECT_EQ(statuses_[i].load(), 200) << "push " << i;
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), kPushes);
}

TEST_F(DarajaInFlight, BeyondTheLimitAPushIs503WithRetryAfterAndLeavesNothing) {
    auto token = Login("admin@a.test");
    StartSlowPushes(token, 4);
    ASSERT_TRUE(Eventually([&] { return Rows(true) == 4; }, std::chrono::milliseconds(kSlowMs - 2000)));
    const auto audits_before = gateway_->store().CountAudit("stk.initiate", "");
    ASSERT_TRUE(audits_before.has_value());

    net::Headers key{{"Idempotency-Key", "busy-then-retried-1"}};
    auto busy = Api("POST", "/api/v1/mpesa/stk-push", StkBody(90), token, key);
    EXPECT_EQ(busy.status, 503) << busy.body.dump();
    EXPECT_EQ(busy.body["success"], false);
    EXPECT_EQ(busy.body["error"]["code"], "DARAJA_BUSY");
    EXPECT_TRUE(busy.headers.count("Retry-After")) << "a client needs to know when to come back";
    EXPECT_EQ(Rows(), 4u) << "the refused push wrote no row";
    EXPECT_EQ(gateway_->store().CountAudit("stk.initiate", "").value_or(-1), *audits_before);

    JoinPushes();
    // The key was not claimed: the retry runs as a new push (not a replay, not "still in progress").
    auto retried = Api("POST", "/api/v1/mpesa/stk-push", StkBody(90), token, key);
    EXPECT_EQ(retried.status, 200) << retried.body.dump();
    EXPECT_FALSE(retried.headers.count("Idempotent-Replayed"));
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 5);
}

}  // namespace
}  // namespace haven::testing
