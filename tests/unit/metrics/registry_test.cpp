// The registry and its text exposition (format 0.0.4): escaping, cumulative buckets, +Inf, _sum/_count, bounded
// label sets, gauges read at scrape time, and counts that survive concurrent increments.
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

namespace haven::metrics {
namespace {

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(MetricsExposition, LabelValuesEscapeBackslashQuoteAndNewline) {
    Registry r;
    r.Counters("t_total", "help", {"v"}).With({"a\"b\\c\nd"}).Inc();
    const auto text = r.Expose();
    EXPECT_TRUE(Has(text, R"(t_total{v="a\"b\\c\nd"} 1)")) << text;
}

TEST(MetricsExposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
    Registry r;
    r.Counters("t_total", "line one\nback\\slash \"quoted\"", {});
    EXPECT_TRUE(Has(r.Expose(), R"(# HELP t_total line one\nback\\slash "quoted")"));
    EXPECT_TRUE(Has(r.Expose(), "# TYPE t_total counter"));
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeAndEndWithInfSumAndCount) {
    Registry r;
    auto& h = r.Histograms("lat_seconds", "latency", {"route"}, {0.5, 1, 2.5});
    for (double v : {0.1, 0.5, 0.7, 1.0, 2.0, 9.0}) h.With({"/x"}).Observe(v);
    const auto text = r.Expose();
    EXPECT_TRUE(Has(text, "# TYPE lat_seconds histogram")) << text;
    // le is inclusive: 0.5 counts in le="0.5", 1.0 in le="1".
    EXPECT_TRUE(Has(text, R"(lat_seconds_bucket{route="/x",le="0.5"} 2)")) << text;
    EXPECT_TRUE(Has(text, R"(lat_seconds_bucket{route="/x",le="1"} 4)")) << text;
    EXPECT_TRUE(Has(text, R"(lat_seconds_bucket{route="/x",le="2.5"} 5)")) << text;
    EXPECT_TRUE(Has(text, R"(lat_seconds_bucket{route="/x",le="+Inf"} 6)")) << text;
    EXPECT_TRUE(Has(text, R"(lat_seconds_sum{route="/x"} 13.3)")) << text;
    EXPECT_TRUE(Has(text, R"(lat_seconds_count{route="/x"} 6)")) << text;
}

TEST(MetricsExposition, HistogramWithoutLabelsPutsOnlyLeInBraces) {
    Registry r;
    r.Histograms("h", "h", {}, {1}).With({}).Observe(3);
    const auto text = r.Expose();
    EXPECT_TRUE(Has(text, R"(h_bucket{le="1"} 0)")) << text;
    EXPECT_TRUE(Has(text, R"(h_bucket{le="+Inf"} 1)")) << text;
    EXPECT_TRUE(Has(text, "h_sum 3")) << text;
    EXPECT_TRUE(Has(text, "h_count 1")) << text;
}

TEST(MetricsExposition, SeriesAreSortedByLabelValues) {
    Registry r;
    auto& c = r.Counters("c_total", "c", {"route", "status"});
    c.With({"/b", "200"}).Inc(2);
    c.With({"/a", "404"}).Inc();
    c.With({"/a", "200"}).Inc(5);
    const auto text = r.Expose();
    const auto a200 = text.find(R"(c_total{route="/a",status="200"} 5)");
    const auto a404 = text.find(R"(c_total{route="/a",status="404"} 1)");
    const auto b200 = text.find(R"(c_total{route="/b",status="200"} 2)");
    ASSERT_NE(a200, std::string::npos) << text;
    ASSERT_NE(a404, std::string::npos) << text;
    ASSERT_NE(b200, std::string::npos) << text;
    EXPECT_LT(a200, a404);
    EXPECT_LT(a404, b200);
}

TEST(MetricsExposition, ValuesUseTheFormatsSpelling) {
    EXPECT_EQ(FormatValue(3), "3");
    EXPECT_EQ(FormatValue(0.25), "0.25");
    EXPECT_EQ(FormatValue(-2), "-2");
    EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
    EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
    EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsRegistry, AFamilyKeepsAtMostMaxSeriesAndCountsTheRest) {
    Registry r;
    auto& c = r.Counters("c_total", "c", {"id"}, 2);
    c.With({"1"}).Inc();
    c.With({"2"}).Inc();
    c.With({"3"}).Inc();
    c.With({"1"}).Inc();  // still its own series
    const auto text = r.Expose();
    EXPECT_TRUE(Has(text, R"(c_total{id="1"} 2)")) << text;
    EXPECT_TRUE(Has(text, R"(c_total{id="2"} 1)")) << text;
    EXPECT_EQ(text.find(R"(id="3")"), std::string::npos) << text;
    EXPECT_TRUE(Has(text, "haven_metrics_dropped_series_total 1")) << text;
}

TEST(MetricsRegistry, WrongNumberOfLabelValuesIsNotExported) {
    Registry r;
    auto& c = r.Counters("c_total", "c", {"a", "b"});
    c.With({"only-one"}).Inc();
    EXPECT_EQ(r.Expose().find("only-one"), std::string::npos);
}

TEST(MetricsRegistry, AskingAgainReturnsTheSameFamily) {
    Registry r;
    auto& first = r.Counters("c_total", "c", {"a"});
    auto& again = r.Counters("c_total", "c", {"a"});
    EXPECT_EQ(&first, &again);
    first.With({"x"}).Inc();
    again.With({"x"}).Inc();
    EXPECT_TRUE(Has(r.Expose(), R"(c_total{a="x"} 2)"));
    EXPECT_THROW(r.Counters("c_total", "c", {"b"}), std::invalid_argument);
    EXPECT_THROW(r.Histograms("c_total", "c", {"a"}, {1}), std::invalid_argument);
    r.Gauges("g", "g", {}, [] { return std::optional<std::vector<GaugeSample>>(); });
    EXPECT_THROW(r.Gauges("g", "g", {}, [] { return std::optional<std::vector<GaugeSample>>(); }),
                 std::invalid_argument);
}

TEST(MetricsRegistry, RefusesBadNamesLabelsAndBuckets) {
    Registry r;
    EXPECT_THROW(r.Counters("1bad", "x", {}), std::invalid_argument);
    EXPECT_THROW(r.Counters("bad-name", "x", {}), std::invalid_argument);
    EXPECT_THROW(r.Counters("ok_total", "x", {"__reserved"}), std::invalid_argument);
    EXPECT_THROW(r.Histograms("h1", "x", {"le"}, {1}), std::invalid_argument);
    EXPECT_THROW(r.Histograms("h2", "x", {}, {2, 1}), std::invalid_argument);
    EXPECT_THROW(r.Histograms("h3", "x", {}, {}), std::invalid_argument);
}

TEST(MetricsRegistry, GaugesAreReadAtScrapeTime) {
    Registry r;
    int backlog = 3;
    r.Gauges("backlog", "rows waiting", {"queue"}, [&backlog]() -> std::optional<std::vector<GaugeSample>> {
        return std::vector<GaugeSample>{{{"stk"}, static_cast<double>(backlog)}, {{"transfers"}, 0}};
    });
    EXPECT_TRUE(Has(r.Expose(), "# TYPE backlog gauge"));
    EXPECT_TRUE(Has(r.Expose(), R"(backlog{queue="stk"} 3)"));
    backlog = 7;
    EXPECT_TRUE(Has(r.Expose(), R"(backlog{queue="stk"} 7)"));
    EXPECT_TRUE(Has(r.Expose(), R"(backlog{queue="transfers"} 0)"));
}

TEST(MetricsRegistry, AGaugeThatCannotBeReadIsLeftOutAndCounted) {
    Registry r;
    r.Gauges("down", "x", {}, []() -> std::optional<std::vector<GaugeSample>> { return std::nullopt; });
    r.Gauges("throws", "x", {}, []() -> std::optional<std::vector<GaugeSample>> { throw std::runtime_error("x"); });
    const auto text = r.Expose();
    EXPECT_EQ(text.find("\ndown "), std::string::npos) << text;
    EXPECT_TRUE(Has(text, "haven_metrics_gauge_errors_total 2")) << text;
}

TEST(MetricsRegistry, ConcurrentUpdatesAreAllCounted) {
    Registry r;
    auto& c = r.Counters("c_total", "c", {"route", "status"});
    auto& h = r.Histograms("h_seconds", "h", {"route"}, HttpLatencyBounds());
    constexpr int kThreads = 4;
    constexpr int kEach = 50000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&c, &h] {
            for (int i = 0; i < kEach; ++i) {
                // new label sets appear while other threads read the table
                const std::string route = "/r" + std::to_string(i % 37);
                c.With({route, i % 2 ? "200" : "404"}).Inc();
                h.With({route}).Observe(0.001);
            }
        });
    }
    for (auto& th : threads) th.join();
    uint64_t total = 0;
    uint64_t observed = 0;
    const auto text = r.Expose();
    for (int i = 0; i < 37; ++i) {
        const std::string route = "/r" + std::to_string(i);
        total += c.With({route, "200"}).Value() + c.With({route, "404"}).Value();
        observed += h.With({route}).Read().count;
    }
    EXPECT_EQ(total, uint64_t{kThreads} * kEach);
    EXPECT_EQ(observed, uint64_t{kThreads} * kEach);
    EXPECT_TRUE(Has(text, "haven_metrics_dropped_series_total 0")) << text;
}

}  // namespace
}  // namespace haven::metrics
