// TRUSTED_PROXIES over loopback: the login throttle's per-address ceiling counts the X-Forwarded-For client only when
// the connection comes from a trusted proxy. 127.0.0.2 plays the proxy (the client binds it; all of 127/8 is
// loopback on Linux); 127.0.0.1 is a client that talks to the gateway directly.
#include <string>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kProxy = "127.0.0.2";
constexpr const char* kDirect = "127.0.0.1";

class ForwardedFor : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.trusted_proxies = kProxy;
            c.login_ip_max_failures = 3;  // failed logins per client address, whatever the account
            c.login_ip_window = std::chrono::seconds(600);
        });
    }

    Reply LoginFrom(const std::string& local_address, const std::string& forwarded_for, const std::string& email,
                    const std::string& password) {
        net::ClientRequest req;
        req.method = "POST";
        req.url = gateway_->BaseUrl() + "/api/v1/auth/login";
        req.headers["Content-Type"] = "application/json";
        if (!forwarded_for.empty()) req.headers["X-Forwarded-For"] = forwarded_for;
        req.body = json{{"email", email}, {"password", password}}.dump();
        req.local_address = local_address;
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return {};
        return {res->status, json::parse(res->body, nullptr, false), res->headers};
    }

    /// One failed login on each of three accounts: the per-address ceiling of whatever address they count against.
    void ExhaustAddress(const std::string& local_address, const std::string& forwarded_for) {
        for (const char* email : {"manager@a.test", "viewer@a.test", "nobody@a.test"}) {
            auto r = LoginFrom(local_address, forwarded_for, email, "wrong-password");
            ASSERT_EQ(r.status, 401) << email << ": " << r.body.dump();
        }
    }
};

TEST_F(ForwardedFor, ThroughATrustedProxyEachClientHasItsOwnCeiling) {
    ExhaustAddress(kProxy, "198.51.100.7");
    // The client that failed is refused, even with the right password...
    auto refused = LoginFrom(kProxy, "198.51.100.7", "admin@a.test", kPassword);
    ASSERT_EQ(refused.status, 429) << refused.body.dump();
    EXPECT_NE(refused.body["error"].value("message", "").find("from your network"), std::string::npos);
    // ...another client behind the same proxy is not (without the header both would be the proxy's address).
    auto other = LoginFrom(kProxy, "198.51.100.8", "admin@a.test", kPassword);
    EXPECT_EQ(other.status, 200) << other.body.dump();
    // A client may put anything left of what the proxy appended: only the proxy's own entry counts.
    auto forged = LoginFrom(kProxy, "198.51.100.99, 198.51.100.7", "admin@a.test", kPassword);
    EXPECT_EQ(forged.status, 429) << forged.body.dump();
}

TEST_F(ForwardedFor, AnUntrustedPeerCannotChooseItsAddress) {
    // A client talking to the gateway directly sends a different X-Forwarded-For with each failure...
    for (const char* forged : {"198.51.100.1", "198.51.100.2", "198.51.100.3"}) {
        ASSERT_EQ(LoginFrom(kDirect, forged, "viewer@a.test", "wrong-password").status, 401);
    }
    // ...and they all counted against its socket address.
    auto r = LoginFrom(kDirect, "198.51.100.4", "admin@a.test", kPassword);
    EXPECT_EQ(r.status, 429) << r.body.dump();
    // The addresses it named were never charged: a client behind the proxy with one of them gets in.
    EXPECT_EQ(LoginFrom(kProxy, "198.51.100.1", "admin@a.test", kPassword).status, 200);
}

TEST_F(ForwardedFor, TheProxyWithoutTheHeaderIsItself) {
    ExhaustAddress(kProxy, "");
    EXPECT_EQ(LoginFrom(kProxy, "", "admin@a.test", kPassword).status, 429);
    EXPECT_EQ(LoginFrom(kProxy, "198.51.100.7", "admin@a.test", kPassword).status, 200);
}

}  // namespace
}  // namespace haven::testing
