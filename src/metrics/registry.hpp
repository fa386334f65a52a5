#pragma once
// Prometheus metrics: counters and histograms with labels, gauges read at scrape time, and the text exposition
// format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). Our own small registry: Debian 12
// packages no C++ Prometheus client library, and what the gateway needs fits in one file.
//
// The hot path takes no lock. Counter::Inc and Histogram::Observe are relaxed atomic adds; Family::With finds a
// label set's series in a fixed open-addressing table of atomic pointers. Series are only ever added (under the
// family's mutex) and never removed, so a reader probes the table with acquire loads and no lock; only the first
// use of a label set takes the mutex. A family holds at most `max_series` label sets: beyond that, observations go
// to one overflow series that is not exported, and haven_metrics_dropped_series_total counts them (labels must be
// bounded: route patterns, never raw paths).
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haven::metrics {

/// A monotonically increasing count.
class Counter {
  public:
    void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<uint64_t> value_{0};
};

/// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implied), with their sum.
class Histogram {
  public:
    explicit Histogram(const std::vector<double>& bounds);
    void Observe(double value);

    struct Snapshot {
        std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
        uint64_t count = 0;
        double sum = 0;
    };
    /// Buckets made cumulative; count is the +Inf bucket, so the two always agree.
    Snapshot Read() const;

  private:
    const std::vector<double>& bounds_;                 // the family's; outlives every series
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
    std::atomic<double> sum_{0};
};

/// Upper bounds for latencies of our own HTTP answers (seconds).
const std::vector<double>& HttpLatencyBounds();
/// Upper bounds for calls to Daraja (seconds; its timeout is 15 s).
const std::vector<double>& DarajaLatencyBounds();
/// Upper bounds for the time from a push to Daraja's callback (seconds; a customer takes up to a minute or two).
const std::vector<double>& CallbackLagBounds();

namespace detail {
/// The series of one metric family: label values -> T, lock-free lookups (see the file comment).
class SeriesTable {
  public:
    struct Series {
        std::vector<std::string> values;
        uint64_t hash = 0;
        void* metric = nullptr;
    };
    SeriesTable(size_t label_count, size_t max_series, std::function<void*()> make, std::function<void(void*)> destroy);
    ~SeriesTable();
    SeriesTable(const SeriesTable&) = delete;
    SeriesTable& operator=(const SeriesTable&) = delete;

    void* Find(std::initializer_list<std::string_view> values);
    /// Every exported series (not the overflow one), sorted by label values.
    std::vector<const Series*> Snapshot() const;
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  private:
    size_t label_count_;
    size_t max_series_;
    std::function<void*()> make_;
    std::function<void(void*)> destroy_;
    size_t mask_;
    std::unique_ptr<std::atomic<Series*>[]> slots_;
    mutable std::mutex mutex_;                    // taken to add a series, and by Snapshot
    std::vector<std::unique_ptr<Series>> owned_;  // every series, in insertion order
    Series overflow_;
    std::atomic<uint64_t> dropped_{0};
};
}  // namespace detail

/// A metric with labels: With(values) returns the series for those label values (in the family's label order).
/// Wrong number of values: the overflow series (a programming error, caught by tests; never a crash in production).
template <class T>
class Family {
  public:
    T& With(std::initializer_list<std::string_view> values) { return *static_cast<T*>(table_.Find(values)); }

  private:
    friend class Registry;
    template <class Make>
    Family(size_t label_count, size_t max_series, Make make)
        : table_(label_count, max_series, std::move(make), [](void* p) { delete static_cast<T*>(p); }) {}
    detail::SeriesTable table_;
};

using CounterFamily = Family<Counter>;
using HistogramFamily = Family<Histogram>;

/// One sample of a gauge read at scrape time: label values (in the gauge's label order) and the value.
struct GaugeSample {
    std::vector<std::string> values;
    double value = 0;
};
/// Reads a gauge's samples at scrape time; nullopt when they cannot be read now (the database is down): the scrape
/// then leaves them out and counts the failure in haven_metrics_gauge_errors_total.
using GaugeReader = std::function<std::optional<std::vector<GaugeSample>>()>;

class Registry {
  public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// Get-or-create: asking again with the same name, kind and labels returns the same family, so every client of
    /// a kind (one per agency account) shares it. Throws std::invalid_argument for a bad name or label, or a name
    /// already used differently (start-up errors).
    CounterFamily& Counters(const std::string& name, const std::string& help, std::vector<std::string> labels,
                            size_t max_series = 2000);
    HistogramFamily& Histograms(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                const std::vector<double>& bounds, size_t max_series = 500);
    /// A gauge whose samples are read by `read` at each scrape (runs on the scraping thread; may block).
    void Gauges(const std::string& name, const std::string& help, std::vector<std::string> labels, GaugeReader read);

    /// Every family in the text exposition format 0.0.4 (Content-Type kContentType), in registration order.
    std::string Expose() const;

    static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

    struct Entry;

  private:
    Entry& Add(const std::string& name, const std::string& help, std::vector<std::string> labels, int kind);
    mutable std::mutex mutex_;  // registration and scrapes; never the hot path
    std::vector<std::unique_ptr<Entry>> entries_;
    mutable uint64_t total_gauge_errors_ = 0;  // under mutex_
};

/// Label value escaping of the text format: backslash, double quote and line feed.
std::string EscapeLabelValue(std::string_view value);
/// HELP text escaping: backslash and line feed.
std::string EscapeHelp(std::string_view help);
/// A sample value: integers without a fraction, +Inf / -Inf / NaN spelled as the format wants.
std::string FormatValue(double value);

}  // namespace haven::metrics
