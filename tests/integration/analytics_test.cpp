// The analytics series over loopback: a real gateway (simulator mode) takes an STK payment from the simulator; every
// signed-in user of the agency (a viewer too) sees it in the collections and STK series, another agency does not,
// and a bad period is refused. The charting library is served from the gateway's own origin. Bucketing at Nairobi
// midnight and every series' numbers: tests/storage/analytics_store_test.cpp; the page: tests/browser/.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class Analytics : public GatewayTest {
  protected:
    /// A series' bucket values summed over the whole series (the payment may fall on either side of a midnight).
    static int64_t Sum(const json& buckets, const std::string& a, const std::string& b = "") {
        int64_t total = 0;
        for (const auto& bucket : buckets) total += (b.empty() ? bucket[a] : bucket[a][b]).get<int64_t>();
        return total;
    }
};

TEST_F(Analytics, EverySignedInUserOfTheAgencySeesItsOwnPaymentsOnly) {
    const std::string admin = Login("admin@a.test");
    const json lease = CreateLease(admin);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1500, lease["id"].get<int64_t>()), admin);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    ASSERT_EQ(WaitFinal(admin, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");

    const std::string viewer = Login("viewer@a.test");
    for (const std::string period : {"day", "month"}) {
        auto collections = Api("GET", "/api/v1/analytics/collections?period=" + period, nullptr, viewer);
        ASSERT_EQ(collections.status, 200) << collections.body.dump();
        const json& data = collections.body["data"];
        EXPECT_EQ(data["period"], period);
        EXPECT_EQ(data["buckets"].size(), period == "day" ? 30u : 12u);
        EXPECT_EQ(Sum(data["buckets"], "stk", "amount"), 1500);
        EXPECT_EQ(data["totals"]["stk"]["count"], 1);
        EXPECT_EQ(data["totals"]["c2b"]["count"], 0);
        EXPECT_EQ(data["totals"]["total"]["amount"], 1500);
        EXPECT_EQ(data["buckets"].back()["label"].get<std::string>().size(), period == "day" ? 10u : 7u);
        auto stk = Api("GET", "/api/v1/analytics/stk?period=" + period, nullptr, viewer);
        ASSERT_EQ(stk.status, 200) << stk.body.dump();
        EXPECT_EQ(stk.body["data"]["totals"]["succeeded"], 1);
        EXPECT_EQ(stk.body["data"]["totals"]["successRate"], 1.0);
        EXPECT_EQ(Sum(stk.body["data"]["buckets"], "pushes"), 1);
    }
    auto arrears = Api("GET", "/api/v1/analytics/arrears", nullptr, viewer);
    ASSERT_EQ(arrears.status, 200) << arrears.body.dump();
    ASSERT_EQ(arrears.body["data"]["items"].size(), 1u);  // 15,000 a month, 1,500 paid
    EXPECT_EQ(arrears.body["data"]["items"][0]["balance"], 13500);
    EXPECT_EQ(arrears.body["data"]["totalArrears"], 13500);

    const std::string other = Login("admin@b.test");
    auto theirs = Api("GET", "/api/v1/analytics/collections", nullptr, other);
    ASSERT_EQ(theirs.status, 200);
    EXPECT_EQ(theirs.body["data"]["totals"]["total"]["count"], 0);
    EXPECT_EQ(Api("GET", "/api/v1/analytics/arrears", nullptr, other).body["data"]["items"].size(), 0u);
}

TEST_F(Analytics, RefusesAnUnknownPeriodAndAnonymousCallers) {
    const std::string viewer = Login("viewer@a.test");
    auto bad = Api("GET", "/api/v1/analytics/stk?period=week", nullptr, viewer);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["error"]["code"], "VALIDATION_ERROR");
    EXPECT_EQ(Api("GET", "/api/v1/analytics/arrears?limit=0", nullptr, viewer).status, 400);
    EXPECT_EQ(Api("GET", "/api/v1/analytics/transfers").status, 401);
}

TEST_F(Analytics, ChartJsComesFromTheGatewaysOwnOrigin) {
    net::ClientRequest req;
    req.method = "GET";
    req.url = gateway_->BaseUrl() + "/vendor/chart.js";
    auto res = client_->Send(req);
    ASSERT_TRUE(res.has_value());
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->headers["Content-Type"], "text/javascript; charset=utf-8");
    EXPECT_NE(res->body.find("Chart.js v3"), std::string::npos) << "Debian's libjs-chart.js";
}

}  // namespace
}  // namespace haven::testing
