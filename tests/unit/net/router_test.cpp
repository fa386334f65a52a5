#include "net/router.hpp"

#include <gtest/gtest.h>

namespace haven::net {
namespace {

Handler Named(std::string name) {
    return [name](Request&) { return Response::Text(200, name); };
}

TEST(Router, FindsLiteralRoute) {
    Router router;
    router.Add("GET", "/api/v1/health", Named("health"));
    auto m = router.Find("GET", "/api/v1/health");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    Request req;
    EXPECT_EQ((*m.handler)(req).body, "health");
}

TEST(Router, ExtractsParams) {
    Router router;
    router.Add("GET", "/api/v1/leases/{id}/payments/{pid}", Named("p"));
    auto m = router.Find("GET", "/api/v1/leases/42/payments/abc");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    EXPECT_EQ(m.params.at("id"), "42");
    EXPECT_EQ(m.params.at("pid"), "abc");
}

TEST(Router, UnknownPathIsNotFound) {
    Router router;
    router.Add("GET", "/a/{id}", Named("a"));
    EXPECT_EQ(router.Find("GET", "/b/1").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router.Find("GET", "/a/1/extra").kind, Router::MatchKind::kNotFound);
    EXPECT_EQ(router.Find("GET", "/a").kind, Router::MatchKind::kNotFound);
}

TEST(Router, WrongMethodListsAllowedVerbs) {
    Router router;
    router.Add("GET", "/items/{id}", Named("get"));
    router.Add("PUT", "/items/{id}", Named("put"));
    router.Add("POST", "/items", Named("post"));
    auto m = router.Find("DELETE", "/items/7");
    EXPECT_EQ(m.kind, Router::MatchKind::kWrongMethod);
    EXPECT_EQ(m.allow, "GET, PUT");
    EXPECT_EQ(m.handler, nullptr);
}

TEST(Router, LiteralSegmentBeatsParam) {
    Router router;
    router.Add("GET", "/items/{id}", Named("by-id"));
    router.Add("GET", "/items/summary", Named("summary"));
    auto m = router.Find("GET", "/items/summary");
    ASSERT_EQ(m.kind, Router::MatchKind::kFound);
    Request req;
    EXPECT_EQ((*m.handler)(req).body, "summary");
}

TEST(Router, RoutesListsEveryRoute) {
    Router router;
    router.Add("GET", "/a", Named("a"));
    router.Add("POST", "/b/{x}", Named("b"));
    auto routes = router.Routes();
    ASSERT_EQ(routes.size(), 2u);
    EXPECT_EQ(routes[0].method, "GET");
    EXPECT_EQ(routes[0].pattern, "/a");
    EXPECT_EQ(routes[1].method, "POST");
    EXPECT_EQ(routes[1].pattern, "/b/{x}");
}

TEST(Http, HeadersAreCaseInsensitive) {
    Request req;
    req.headers["Content-Type"] = "application/json";
    EXPECT_EQ(req.Header("content-type").value_or(""), "application/json");
    EXPECT_FALSE(req.Header("accept").has_value());
}

TEST(Http, JsonResponseSetsContentType) {
    auto res = Response::Json(201, {{"ok", true}});
    EXPECT_EQ(res.status, 201);
    EXPECT_EQ(res.headers.at("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(nlohmann::json::parse(res.body)["ok"], true);
}

}  // namespace
}  // namespace haven::net
