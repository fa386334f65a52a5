// Login throttling and the bound on password hashing, over loopback against a real gateway.
// A second client address is a real one: the client binds 127.0.0.2 (all of 127/8 is loopback on Linux).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kOtherAddress = "127.0.0.2";

class AuthThrottle : public GatewayTest {
  protected:
    Reply LoginFrom(const std::string& email, const std::string& password, const std::string& local_address = "") {
        net::ClientRequest req;
        req.method = "POST";
        req.url = gateway_->BaseUrl() + "/api/v1/auth/login";
        req.headers["Content-Type"] = "application/json";
        req.body = json{{"email", email}, {"password", password}}.dump();
        req.local_address = local_address;
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return {};
        return {res->status, json::parse(res->body, nullptr, false), res->headers};
    }

    /// `n` wrong passwords for `email`, each answered 401.
    void FailLogins(const std::string& email, int n, const std::string& local_address = "") {
        for (int i = 0; i < n; ++i) {
            auto r = LoginFrom(email, "wrong-password-" + std::to_string(i), local_address);
            ASSERT_EQ(r.status, 401) << "attempt " << i + 1 << ": " << r.body.dump();
        }
    }

    static int RetryAfter(const Reply& r) {
        auto it = r.headers.find("Retry-After");
        if (it == r.headers.end()) return -1;
        return std::atoi(it->second.c_str());
    }

    static std::string ErrorCode(const Reply& r) { return r.body["error"].value("code", ""); }
    static std::string ErrorMessage(const Reply& r) { return r.body["error"].value("message", ""); }
};

TEST_F(AuthThrottle, FiveFailuresThenTooManyRequestsWithRetryAfter) {
    FailLogins("admin@a.test", 5);
    auto r = LoginFrom("admin@a.test", "wrong-password-6");
    ASSERT_EQ(r.status, 429) << r.body.dump();
    EXPECT_EQ(ErrorCode(r), "RATE_LIMITED");
    EXPECT_EQ(RetryAfter(r), 1);  // the first delay: 1 s
    EXPECT_NE(ErrorMessage(r).find("Too many failed logins"), std::string::npos) << ErrorMessage(r);
    EXPECT_NE(ErrorMessage(r).find("try again in 1 second"), std::string::npos) << ErrorMessage(r);
}

TEST_F(AuthThrottle, RightPasswordDuringTheDelayIsRefusedWithoutCheckingIt) {
    FailLogins("admin@a.test", 5);
    auto r = LoginFrom("admin@a.test", kPassword);
    ASSERT_EQ(r.status, 429) << r.body.dump();
    EXPECT_GE(RetryAfter(r), 1);
    EXPECT_FALSE(r.body.contains("data"));
    EXPECT_EQ(*gateway_->store().CountAudit("auth.login", "denied: throttled"), 1);
}

TEST_F(AuthThrottle, EmailCaseDoesNotDodgeTheThrottle) {
    FailLogins("admin@a.test", 3);
    FailLogins("ADMIN@A.TEST", 2);
    EXPECT_EQ(LoginFrom("Admin@A.Test", "wrong-password").status, 429);
}

TEST_F(AuthThrottle, AnotherAddressIsNotLockedOut) {
    FailLogins("admin@a.test", 5);
    ASSERT_EQ(LoginFrom("admin@a.test", kPassword).status, 429);
    // The real admin, elsewhere, still gets in: an attacker cannot lock an account out.
    auto r = LoginFrom("admin@a.test", kPassword, kOtherAddress);
    EXPECT_EQ(r.status, 200) << r.body.dump();
}

TEST_F(AuthThrottle, SuccessClearsTheFailures) {
    FailLogins("admin@a.test", 4);
    ASSERT_EQ(LoginFrom("admin@a.test", kPassword).status, 200);
    // Counted afresh: without the reset the second of these would already be refused.
    FailLogins("admin@a.test", 5);
    EXPECT_EQ(LoginFrom("admin@a.test", "wrong-password").status, 429);
}

TEST_F(AuthThrottle, UnknownAccountsAreThrottledToo) {
    FailLogins("nobody@a.test", 5);
    EXPECT_EQ(LoginFrom("nobody@a.test", "wrong-password").status, 429);
}

class AuthAddressCeiling : public AuthThrottle {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.login_ip_max_failures = 3;
            c.login_ip_window = std::chrono::seconds(600);
        });
    }
};

TEST_F(AuthAddressCeiling, FailuresOnManyAccountsFromOneAddressHitTheCeiling) {
    FailLogins("manager@a.test", 1);
    FailLogins("viewer@a.test", 1);
    FailLogins("nobody@a.test", 1);
    // A fourth account from the same address, even with its right password.
    auto r = LoginFrom("admin@a.test", kPassword);
    ASSERT_EQ(r.status, 429) << r.body.dump();
    EXPECT_EQ(ErrorCode(r), "RATE_LIMITED");
    EXPECT_GE(RetryAfter(r), 1);
    EXPECT_LE(RetryAfter(r), 600);
    EXPECT_NE(ErrorMessage(r).find("from your network"), std::string::npos) << ErrorMessage(r);
    // Another address is unaffected.
    EXPECT_EQ(LoginFrom("admin@a.test", kPassword, kOtherAddress).status, 200);
}

class HashBound : public AuthThrottle {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.hash_concurrency = 1;
            c.hash_queue = 0;
        });
    }
};

TEST_F(HashBound, LoginsBeyondTheBoundAnswer429AtOnce) {
    // Right passwords, so no throttle is involved: any 429 comes from the bound on hashing.
    constexpr int kLogins = 16;
    std::vector<Reply> replies(kLogins);
    std::vector<std::thread> threads;
    std::atomic<bool> go{false};
    for (int i = 0; i < kLogins; ++i) {
        threads.emplace_back([&, i] {
            while (!go.load()) std::this_thread::yield();
            replies[i] = LoginFrom("admin@a.test", kPassword);
        });
    }
    go = true;
    for (auto& t : threads) t.join();
    int ok = 0;
    int busy = 0;
    for (const auto& r : replies) {
        if (r.status == 200) {
            ++ok;
        } else {
            ASSERT_EQ(r.status, 429) << r.body.dump();
            EXPECT_EQ(ErrorCode(r), "RATE_LIMITED");
            EXPECT_EQ(RetryAfter(r), 1);
            ++busy;
        }
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(busy, 1);
    // Refused logins are not failures: the account is not throttled afterwards.
    EXPECT_EQ(LoginFrom("admin@a.test", kPassword).status, 200);
}

}  // namespace
}  // namespace haven::testing
