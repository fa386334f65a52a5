// GET /metrics end to end: pushes and callbacks through the real gateway and its simulator over loopback, the
// endpoint scraped on its own listener (METRICS_LISTEN) and the text parsed by Debian's python3-prometheus-client.
#include <cstdio>
#include <fstream>

#include "integration/gateway_fixture.hpp"

namespace haven::testing {
namespace {

class Metrics : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.reconciler.first_after = std::chrono::seconds(0); });
        ASSERT_NE(gateway_->MetricsPort(), 0);
    }

    std::string MetricsUrl() const { return "http://127.0.0.1:" + std::to_string(gateway_->MetricsPort()); }

    /// The raw exposition from METRICS_LISTEN.
    std::string ScrapeText(net::Headers* headers = nullptr) {
        net::ClientRequest req;
        req.method = "GET";
        req.url = MetricsUrl() + "/metrics";
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return "";
        EXPECT_EQ(res->status, 200);
        if (headers) *headers = res->headers;
        return res->body;
    }

    /// The exposition as Debian's Prometheus client reads it: {family: {type, help, samples: [...]}}.
    json Scrape() {
        const std::string text = ScrapeText();
        const auto file = dir_ / "scrape.txt";
        std::ofstream(file) << text;
        const std::string command =
            std::string(HAVEN_PYTHON3) + " " + HAVEN_PARSE_METRICS + " " + file.string() + " 2>&1";
        FILE* pipe = ::popen(command.c_str(), "r");
        EXPECT_NE(pipe, nullptr);
        if (!pipe) return json::object();
        std::string out;
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
        const int rc = ::pclose(pipe);
        EXPECT_EQ(rc, 0) << out << "\n--- exposition ---\n" << text;
        auto parsed = json::parse(out, nullptr, false);
        EXPECT_TRUE(parsed.is_object()) << out;
        return parsed.is_object() ? parsed : json::object();
    }

    /// The value of one sample (0 when absent): `family` as the client names it (a counter without _total).
    static double Value(const json& parsed, const std::string& family, const std::string& sample, const json& labels) {
        if (!parsed.contains(family)) return 0;
        for (const auto& s : parsed[family]["samples"]) {
            if (s["name"] != sample) continue;
            bool all = true;
            for (const auto& [k, v] : labels.items()) all = all && s["labels"].value(k, "") == v;
            if (all && s["value"].is_number()) return s["value"].get<double>();
        }
        return 0;
    }

    /// Every label value of every sample.
    static std::vector<std::string> LabelValues(const json& parsed) {
        std::vector<std::string> out;
        for (const auto& [name, family] : parsed.items()) {
            for (const auto& s : family["samples"]) {
                for (const auto& [k, v] : s["labels"].items()) out.push_back(v.get<std::string>());
            }
        }
        return out;
    }

    std::string Push(const std::string& token, int64_t amount) {
        auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount), token);
        EXPECT_EQ(push.status, 200) << push.body.dump();
        return push.body["data"].value("checkoutRequestId", "");
    }
};

TEST_F(Metrics, APushAndItsCallbackMoveTheRequestDarajaAndLagCounts) {
    auto token = Login("admin@a.test");
    const json before = Scrape();
    const auto id = Push(token, 1200);
    ASSERT_EQ(WaitFinal(token, id)["status"], "SUCCESS");
    // The callback's request is counted once its answer is written, just after the row changed: poll for it.
    json after;
    const json callback = {{"method", "POST"}, {"route", "/hooks/daraja/{secret}/callback"}, {"status", "200"}};
    ASSERT_TRUE(Eventually([&] {
        after = Scrape();
        return Value(after, "haven_http_requests", "haven_http_requests_total", callback) >
               Value(before, "haven_http_requests", "haven_http_requests_total", callback);
    })) << after.dump();

    const json push = {{"method", "POST"}, {"route", "/api/v1/mpesa/stk-push"}, {"status", "200"}};
    EXPECT_EQ(Value(after, "haven_http_requests", "haven_http_requests_total", push) -
                  Value(before, "haven_http_requests", "haven_http_requests_total", push),
              1);
    const json push_route = {{"method", "POST"}, {"route", "/api/v1/mpesa/stk-push"}};
    EXPECT_EQ(
        Value(after, "haven_http_request_duration_seconds", "haven_http_request_duration_seconds_count", push_route) -
            Value(before, "haven_http_request_duration_seconds", "haven_http_request_duration_seconds_count",
                  push_route),
        1);
    EXPECT_GT(
        Value(after, "haven_http_request_duration_seconds", "haven_http_request_duration_seconds_sum", push_route), 0);
    EXPECT_EQ(after["haven_http_request_duration_seconds"]["type"], "histogram");

    const json stk_ok = {{"api", "stk_push"}, {"outcome", "ok"}};
    EXPECT_EQ(Value(after, "haven_daraja_requests", "haven_daraja_requests_total", stk_ok) -
                  Value(before, "haven_daraja_requests", "haven_daraja_requests_total", stk_ok),
              1);
    EXPECT_GE(
        Value(after, "haven_daraja_requests", "haven_daraja_requests_total", {{"api", "token"}, {"outcome", "ok"}}), 1);
    EXPECT_EQ(
        Value(after, "haven_daraja_request_duration_seconds", "haven_daraja_request_duration_seconds_count", stk_ok) -
            Value(before, "haven_daraja_request_duration_seconds", "haven_daraja_request_duration_seconds_count",
                  stk_ok),
        1);

    const json lag = {{"api", "stk_push"}};
    EXPECT_EQ(Value(after, "haven_daraja_callback_lag_seconds", "haven_daraja_callback_lag_seconds_count", lag) -
                  Value(before, "haven_daraja_callback_lag_seconds", "haven_daraja_callback_lag_seconds_count", lag),
              1);
    EXPECT_EQ(Value(after, "haven_daraja_callback_lag_seconds", "haven_daraja_callback_lag_seconds_bucket",
                    {{"api", "stk_push"}, {"le", "+Inf"}}),
              Value(after, "haven_daraja_callback_lag_seconds", "haven_daraja_callback_lag_seconds_count", lag));
}

TEST_F(Metrics, TheExpositionIsPrometheusTextWithCumulativeHistograms) {
    auto token = Login("admin@a.test");
    ASSERT_EQ(WaitFinal(token, Push(token, 1300))["status"], "SUCCESS");
    net::Headers headers;
    const std::string text = ScrapeText(&headers);
    EXPECT_EQ(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
    const json parsed = Scrape();
    ASSERT_TRUE(parsed.contains("haven_http_request_duration_seconds")) << text;
    // Every histogram series: buckets never decrease, and +Inf equals _count.
    int series = 0;
    for (const auto& [name, family] : parsed.items()) {
        if (family["type"] != "histogram") continue;
        std::map<std::string, std::vector<double>> buckets;
        std::map<std::string, double> counts;
        for (const auto& s : family["samples"]) {
            json key = s["labels"];
            key.erase("le");
            if (s["name"] == name + "_bucket") buckets[key.dump()].push_back(s["value"].get<double>());
            if (s["name"] == name + "_count") counts[key.dump()] = s["value"].get<double>();
        }
        for (const auto& [key, values] : buckets) {
            ++series;
            EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << name << key;
            EXPECT_EQ(values.back(), counts[key]) << name << key;
        }
    }
    EXPECT_GE(series, 3);
}

TEST_F(Metrics, RoutesAreLabelledByPatternNeverByPathOrSecret) {
    auto token = Login("admin@a.test");
    const auto id = Push(token, 1400);
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(WaitFinal(token, id)["status"], "SUCCESS");
    EXPECT_EQ(Api("GET", "/api/v1/leases/987654321", nullptr, token).status, 404);
    EXPECT_EQ(Api("GET", "/no/such/path/55501234", nullptr, token).status, 404);
    Call("BREW", gateway_->BaseUrl() + "/api/v1/leases", "");

    const json parsed = Scrape();
    const auto values = LabelValues(parsed);
    const std::string secret = gateway_->config().callback_secret;
    ASSERT_FALSE(secret.empty());
    for (const auto& v : values) {
        EXPECT_EQ(v.find(id), std::string::npos) << v;
        EXPECT_EQ(v.find("987654321"), std::string::npos) << v;
        EXPECT_EQ(v.find("55501234"), std::string::npos) << v;
        EXPECT_EQ(v.find(secret), std::string::npos) << "the callback secret is in a label";
        EXPECT_NE(v, "BREW");
    }
    EXPECT_GE(Value(parsed, "haven_http_requests", "haven_http_requests_total",
                    {{"method", "GET"}, {"route", "/api/v1/mpesa/status-detailed/{checkoutRequestId}"}}),
              1);
    EXPECT_GE(Value(parsed, "haven_http_requests", "haven_http_requests_total",
                    {{"method", "GET"}, {"route", "/api/v1/leases/{id}"}, {"status", "404"}}),
              1);
    EXPECT_GE(Value(parsed, "haven_http_requests", "haven_http_requests_total",
                    {{"method", "GET"}, {"route", "(none)"}, {"status", "404"}}),
              1);
    EXPECT_GE(Value(parsed, "haven_http_requests", "haven_http_requests_total", {{"method", "OTHER"}}), 1);
}

TEST_F(Metrics, DarajaFailuresAreCountedByOutcome) {
    auto token = Login("admin@a.test");
    SimRule(66, {{"httpStatus", 500}, {"errorCode", "500.001.1001"}, {"errorMessage", "Merchant does not exist"}});
    const json before = Scrape();
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(66), token);
    EXPECT_NE(push.status, 200) << push.body.dump();
    const json after = Scrape();
    const json failed = {{"api", "stk_push"}, {"outcome", "server_error"}};
    EXPECT_EQ(Value(after, "haven_daraja_requests", "haven_daraja_requests_total", failed) -
                  Value(before, "haven_daraja_requests", "haven_daraja_requests_total", failed),
              1);
}

TEST_F(Metrics, BacklogReviewAndPoolGaugesAreReadAtScrapeTime) {
    auto token = Login("admin@a.test");
    const json before = Scrape();
    EXPECT_EQ(before["haven_reconciler_backlog"]["type"], "gauge");
    EXPECT_EQ(Value(before, "haven_reconciler_backlog", "haven_reconciler_backlog", {{"queue", "stk"}}), 0);
    SimRule(731, {{"callbacks", 0}});  // M-Pesa accepts the push but never calls back: it waits for the reconciler
    ASSERT_FALSE(Push(token, 731).empty());
    const json after = Scrape();
    EXPECT_EQ(Value(after, "haven_reconciler_backlog", "haven_reconciler_backlog", {{"queue", "stk"}}), 1)
        << after["haven_reconciler_backlog"].dump();
    EXPECT_TRUE(after.contains("haven_review_open"));
    EXPECT_TRUE(after.contains("haven_outbox_backlog"));
    EXPECT_EQ(after["haven_http_open_connections"]["type"], "gauge");
    // SQLite: the writer and four readers at most; nothing is held between requests.
    EXPECT_EQ(Value(after, "haven_db_pool_max_connections", "haven_db_pool_max_connections", json::object()), 5);
    EXPECT_GE(Value(after, "haven_db_pool_connections", "haven_db_pool_connections", {{"state", "idle"}}), 1);
    gateway_->ReconcileNow();  // the reconciler asks Daraja, settles it: the backlog empties
    const json settled = Scrape();
    EXPECT_EQ(Value(settled, "haven_reconciler_backlog", "haven_reconciler_backlog", {{"queue", "stk"}}), 0)
        << settled["haven_reconciler_backlog"].dump();
}

TEST_F(Metrics, ThePublicPortAnswers404ForMetrics) {
    auto r = Call("GET", gateway_->BaseUrl() + "/metrics", "");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body["success"], false);
    EXPECT_EQ(r.body["error"]["code"], "NOT_FOUND");
}

TEST_F(Metrics, TheMetricsPortServesNothingElse) {
    auto r = Call("GET", MetricsUrl() + "/api/v1/leases", "");
    EXPECT_EQ(r.status, 404);
}

class MetricsOff : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.metrics_host.clear(); });  // METRICS_LISTEN=off
    }
};

TEST_F(MetricsOff, MetricsListenOffListensNowhere) {
    EXPECT_EQ(gateway_->MetricsPort(), 0);
    EXPECT_EQ(Call("GET", gateway_->BaseUrl() + "/metrics", "").status, 404);
}

}  // namespace
}  // namespace haven::testing
