#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace haven::metrics {
namespace {

enum Kind { kCounter, kHistogram, kGauge };
constexpr const char* kKindNames[] = {"counter", "histogram", "gauge"};

bool ValidName(std::string_view name, bool label) {
    if (name.empty()) return false;
    auto first = [label](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (!label && c == ':');
    };
    auto rest = [&first](char c) { return first(c) || std::isdigit(static_cast<unsigned char>(c)); };
    if (!first(name[0]) || !std::all_of(name.begin() + 1, name.end(), rest)) return false;
    return !label || name.substr(0, 2) != "__";  // reserved for Prometheus itself
}

uint64_t HashValues(std::initializer_list<std::string_view> values) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a, with a separator between values
    for (auto v : values) {
        for (unsigned char c : v) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

bool SameValues(const std::vector<std::string>& have, std::initializer_list<std::string_view> want) {
    if (have.size() != want.size()) return false;
    auto it = want.begin();
    for (const auto& v : have) {
        if (v != *it++) return false;
    }
    return true;
}

/// `{a="x",b="y"}` (with an extra label such as le appended), or "" when there are none.
std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return "";
    std::string out = "{";
    for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += "=\"";
        out += EscapeLabelValue(values[i]);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!names.empty()) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
    return out;
}

const std::vector<double> kHttpBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const std::vector<double> kDarajaBounds = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30};
const std::vector<double> kCallbackLagBounds = {1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600, 1800};

}  // namespace

const std::vector<double>& HttpLatencyBounds() { return kHttpBounds; }
const std::vector<double>& DarajaLatencyBounds() { return kDarajaBounds; }
const std::vector<double>& CallbackLagBounds() { return kCallbackLagBounds; }

std::string EscapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string EscapeHelp(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string FormatValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (value == std::trunc(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<int64_t>(value));
    return fmt::format("{}", value);  // shortest form that reads back as the same double
}

// --- Histogram ---

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::Observe(double value) {
    // A bucket counts values <= its bound (the format's `le`); NaN lands in +Inf.
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
    Snapshot s;
    s.cumulative.resize(bounds_.size() + 1);
    uint64_t running = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative[i] = running;
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

// --- SeriesTable ---

namespace detail {

SeriesTable::SeriesTable(size_t label_count, size_t max_series, std::function<void*()> make,
                         std::function<void(void*)> destroy)
    : label_count_(label_count),
      max_series_(std::max<size_t>(max_series, 1)),
      make_(std::move(make)),
      destroy_(std::move(destroy)) {
    // At most half full, so a probe for a missing label set meets an empty slot soon.
    const size_t capacity = std::bit_ceil(max_series_ * 2);
    mask_ = capacity - 1;
    slots_ = std::make_unique<std::atomic<Series*>[]>(capacity);
    overflow_.metric = make_();
}

SeriesTable::~SeriesTable() {
    for (auto& s : owned_) destroy_(s->metric);
    destroy_(overflow_.metric);
}

void* SeriesTable::Find(std::initializer_list<std::string_view> values) {
    if (values.size() != label_count_) return overflow_.metric;
    const uint64_t hash = HashValues(values);
    size_t i = hash & mask_;
    // Lock-free: a slot, once set, never changes; an empty slot means "not added yet" (then check under the lock).
    for (size_t probe = 0; probe <= mask_; ++probe, i = (i + 1) & mask_) {
        const Series* s = slots_[i].load(std::memory_order_acquire);
        if (s == nullptr) break;
        if (s->hash == hash && SameValues(s->values, values)) return s->metric;
    }
    std::lock_guard lock(mutex_);
    i = hash & mask_;
    for (size_t probe = 0; probe <= mask_; ++probe, i = (i + 1) & mask_) {
        const Series* s = slots_[i].load(std::memory_order_acquire);
        if (s == nullptr) break;
        if (s->hash == hash && SameValues(s->values, values)) return s->metric;
    }
    if (owned_.size() >= max_series_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return overflow_.metric;
    }
    auto series = std::make_unique<Series>();
    series->values.assign(values.begin(), values.end());
    series->hash = hash;
    series->metric = make_();
    Series* raw = series.get();
    owned_.push_back(std::move(series));
    slots_[i].store(raw, std::memory_order_release);  // published complete: readers see it whole
    return raw->metric;
}

std::vector<const SeriesTable::Series*> SeriesTable::Snapshot() const {
    std::vector<const Series*> out;
    {
        std::lock_guard lock(mutex_);
        out.reserve(owned_.size());
        for (const auto& s : owned_) out.push_back(s.get());
    }
    std::sort(out.begin(), out.end(), [](const Series* a, const Series* b) { return a->values < b->values; });
    return out;
}

}  // namespace detail

// --- Registry ---

struct Registry::Entry {
    std::string name;
    std::string help;
    std::vector<std::string> labels;
    int kind = kCounter;
    std::vector<double> bounds;
    std::unique_ptr<CounterFamily> counters;
    std::unique_ptr<HistogramFamily> histograms;
    GaugeReader read;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Add(const std::string& name, const std::string& help, std::vector<std::string> labels,
                               int kind) {
    if (!ValidName(name, false)) throw std::invalid_argument("metric name '" + name + "' is not valid");
    for (const auto& label : labels) {
        if (!ValidName(label, true) || label == "le") {
            throw std::invalid_argument("metric " + name + ": label name '" + label + "' is not valid");
        }
    }
    for (auto& e : entries_) {
        if (e->name != name) continue;
        if (e->kind != kind || e->labels != labels) {
            throw std::invalid_argument("metric " + name + " is already registered with another kind or labels");
        }
        return *e;
    }
    auto& e = *entries_.emplace_back(std::make_unique<Entry>());
    e.name = name;
    e.help = help;
    e.labels = std::move(labels);
    e.kind = kind;
    return e;
}

CounterFamily& Registry::Counters(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                  size_t max_series) {
    std::lock_guard lock(mutex_);
    Entry& e = Add(name, help, std::move(labels), kCounter);
    if (!e.counters) {
        e.counters.reset(
            new CounterFamily(e.labels.size(), max_series, [] { return static_cast<void*>(new Counter); }));
    }
    return *e.counters;
}

HistogramFamily& Registry::Histograms(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                      const std::vector<double>& bounds, size_t max_series) {
    if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
        std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() ||
        std::any_of(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); })) {
        throw std::invalid_argument("metric " + name + ": bucket bounds must be finite and strictly ascending");
    }
    std::lock_guard lock(mutex_);
    Entry& e = Add(name, help, std::move(labels), kHistogram);
    if (!e.histograms) {
        e.bounds = bounds;
        const std::vector<double>* stable = &e.bounds;  // the entry outlives its family
        e.histograms.reset(new HistogramFamily(e.labels.size(), max_series,
                                               [stable] { return static_cast<void*>(new Histogram(*stable)); }));
    } else if (e.bounds != bounds) {
        throw std::invalid_argument("metric " + name + " is already registered with other buckets");
    }
    return *e.histograms;
}

void Registry::Gauges(const std::string& name, const std::string& help, std::vector<std::string> labels,
                      GaugeReader read) {
    std::lock_guard lock(mutex_);
    Entry& e = Add(name, help, std::move(labels), kGauge);
    // A family is filled in under the lock that publishes it, and never changed after: scrapes read it unlocked.
    if (e.read) throw std::invalid_argument("gauge " + name + " is already registered");
    e.read = std::move(read);
}

std::string Registry::Expose() const {
    // The list is copied under the lock and written without it: a gauge may wait on the database, and a family
    // registered meanwhile (an agency's first Daraja client) must not wait for the scrape. Entries are never removed.
    std::vector<const Entry*> entries;
    {
        std::lock_guard lock(mutex_);
        entries.reserve(entries_.size());
        for (const auto& e : entries_) entries.push_back(e.get());
    }
    std::string out;
    uint64_t dropped = 0;
    uint64_t gauge_errors = 0;
    auto header = [&out](const Entry& e) {
        fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", e.name, EscapeHelp(e.help), e.name,
                       kKindNames[e.kind]);
    };
    for (const Entry* entry : entries) {
        const Entry& e = *entry;
        header(e);
        if (e.kind == kCounter) {
            dropped += e.counters->table_.dropped();
            for (const auto* s : e.counters->table_.Snapshot()) {
                fmt::format_to(std::back_inserter(out), "{}{} {}\n", e.name, Labels(e.labels, s->values),
                               static_cast<const Counter*>(s->metric)->Value());
            }
        } else if (e.kind == kHistogram) {
            dropped += e.histograms->table_.dropped();
            for (const auto* s : e.histograms->table_.Snapshot()) {
                const auto snap = static_cast<const Histogram*>(s->metric)->Read();
                for (size_t i = 0; i < e.bounds.size(); ++i) {
                    fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", e.name,
                                   Labels(e.labels, s->values, "le", FormatValue(e.bounds[i])), snap.cumulative[i]);
                }
                fmt::format_to(std::back_inserter(out), "{}_bucket{} {}\n", e.name,
                               Labels(e.labels, s->values, "le", "+Inf"), snap.count);
                fmt::format_to(std::back_inserter(out), "{}_sum{} {}\n", e.name, Labels(e.labels, s->values),
                               FormatValue(snap.sum));
                fmt::format_to(std::back_inserter(out), "{}_count{} {}\n", e.name, Labels(e.labels, s->values),
                               snap.count);
            }
        } else {
            std::optional<std::vector<GaugeSample>> samples;
            try {
                samples = e.read ? e.read() : std::nullopt;
            } catch (const std::exception&) {
                samples.reset();
            }
            if (!samples) {
                ++gauge_errors;
                continue;
            }
            for (const auto& sample : *samples) {
                if (sample.values.size() != e.labels.size()) continue;
                fmt::format_to(std::back_inserter(out), "{}{} {}\n", e.name, Labels(e.labels, sample.values),
                               FormatValue(sample.value));
            }
        }
    }
    uint64_t total_gauge_errors = 0;
    {
        std::lock_guard lock(mutex_);
        total_gauge_errors_ += gauge_errors;
        total_gauge_errors = total_gauge_errors_;
    }
    fmt::format_to(std::back_inserter(out),
                   "# HELP haven_metrics_dropped_series_total Observations not exported because their metric had too "
                   "many label sets.\n# TYPE haven_metrics_dropped_series_total counter\n"
                   "haven_metrics_dropped_series_total {}\n"
                   "# HELP haven_metrics_gauge_errors_total Gauges that could not be read at a scrape (the database "
                   "was unavailable).\n# TYPE haven_metrics_gauge_errors_total counter\n"
                   "haven_metrics_gauge_errors_total {}\n",
                   dropped, total_gauge_errors);
    return out;
}

}  // namespace haven::metrics
