// The one way a route says who may call it (api/guard.hpp): a route registered for admins only answers 401 without
// a token and 403 to a viewer, without running its handler, and hands an admin's claims to the handler.
#include "api/context.hpp"
#include "api/guard.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class AuthGuard : public GatewayTest {
  protected:
    /// Runs `router`'s handler for POST /test/admin-only as the server would, with `token` as the bearer.
    net::Response Dispatch(const net::Router& router, const std::string& token) {
        auto match = router.Find("POST", "/test/admin-only");
        EXPECT_EQ(match.kind, net::Router::MatchKind::kFound);
        net::Request req;
        req.method = "POST";
        req.path = req.target = "/test/admin-only";
        req.request_id = "guard-test";
        if (!token.empty()) req.headers["Authorization"] = "Bearer " + token;
        if (match.handler) return (*match.handler)(req);
        std::optional<net::Response> answer;
        net::Reply reply([&answer](net::Response res) { answer = std::move(res); },
                         [] { return net::Response::Text(500, "dropped"); });
        (*match.async_handler)(req, reply);
        EXPECT_TRUE(answer.has_value());
        return answer.value_or(net::Response{});
    }

    static std::string ErrorCode(const net::Response& res) {
        auto body = json::parse(res.body, nullptr, false);
        return body.is_object() ? body["error"].value("code", "") : "";
    }

    const api::Guard admins_{{core::Role::kAdmin}, ""};
    int calls_ = 0;
    std::optional<api::Caller> seen_;
};

TEST_F(AuthGuard, AdminOnlyRouteRefusesNoTokenWith401AndViewerWith403) {
    auto& ctx = gateway_->api_context();
    net::Router router;
    router.Add("POST", "/test/admin-only", api::Authed(ctx, admins_, [this](net::Request&, const api::Caller& caller) {
                   ++calls_;
                   seen_ = caller;
                   return net::Response::Json(200, {{"ok", true}});
               }));

    auto anonymous = Dispatch(router, "");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(ErrorCode(anonymous), "UNAUTHORIZED");
    auto forged = Dispatch(router, "not.a.token");
    EXPECT_EQ(forged.status, 401);
    auto viewer = Dispatch(router, Login("viewer@a.test"));
    EXPECT_EQ(viewer.status, 403);
    EXPECT_EQ(ErrorCode(viewer), "FORBIDDEN");
    EXPECT_EQ(calls_, 0) << "a refused caller must never reach the handler";

    auto admin = Dispatch(router, Login("admin@a.test"));
    EXPECT_EQ(admin.status, 200);
    ASSERT_EQ(calls_, 1);
    ASSERT_TRUE(seen_.has_value());
    EXPECT_EQ(seen_->email, "admin@a.test");
    EXPECT_EQ(seen_->role, core::Role::kAdmin);
    EXPECT_GT(seen_->agency_id, 0);
    EXPECT_GT(seen_->user_id, 0);
}

TEST_F(AuthGuard, AsyncAdminOnlyRouteRefusesTheSameWayWithItsOwnMessage) {
    auto& ctx = gateway_->api_context();
    net::Router router;
    router.AddAsync("POST", "/test/admin-only",
                    api::AuthedAsync(ctx, api::Guard{{core::Role::kAdmin}, "only an agency admin may do this"},
                                     [this](net::Request&, const api::Caller&, net::Reply reply) {
                                         ++calls_;
                                         reply(net::Response::Json(200, {{"ok", true}}));
                                     }));
    EXPECT_EQ(Dispatch(router, "").status, 401);
    auto viewer = Dispatch(router, Login("viewer@a.test"));
    EXPECT_EQ(viewer.status, 403);
    EXPECT_NE(viewer.body.find("only an agency admin may do this"), std::string::npos) << viewer.body;
    auto manager = Dispatch(router, Login("manager@a.test"));
    EXPECT_EQ(manager.status, 403);
    EXPECT_EQ(calls_, 0);
    EXPECT_EQ(Dispatch(router, Login("admin@a.test")).status, 200);
    EXPECT_EQ(calls_, 1);
}

}  // namespace
}  // namespace haven::testing
