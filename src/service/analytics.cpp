#include "service/analytics.hpp"

#include <algorithm>
#include <chrono>

#include "core/rent_roll.hpp"
#include "core/time.hpp"

namespace haven::service {

std::string_view ToString(AnalyticsPeriod p) { return p == AnalyticsPeriod::kDay ? "day" : "month"; }

std::optional<AnalyticsPeriod> ParseAnalyticsPeriod(std::string_view text) {
    if (text == "day") return AnalyticsPeriod::kDay;
    if (text == "month") return AnalyticsPeriod::kMonth;
    return std::nullopt;
}

std::optional<std::vector<AnalyticsBucket>> AnalyticsBuckets(AnalyticsPeriod period, std::string_view today) {
    // "YYYY-MM-DD" parses as midnight UTC of that date; the Nairobi day began kEatOffset earlier.
    if (today.size() != 10) return std::nullopt;
    auto midnight_utc = core::ParseIsoUtc(today);
    if (!midnight_utc) return std::nullopt;
    std::vector<AnalyticsBucket> out;
    if (period == AnalyticsPeriod::kDay) {
        using Days = std::chrono::days;
        for (int back = kAnalyticsDays - 1; back >= 0; --back) {
            const auto day = *midnight_utc - Days(back);
            out.push_back({core::IsoUtc(day).substr(0, 10),
                           {core::IsoUtc(day - core::kEatOffset), core::IsoUtc(day + Days(1) - core::kEatOffset)}});
        }
        return out;
    }
    core::YearMonth month = *core::MonthOfDay(today);
    for (int i = 1; i < kAnalyticsMonths; ++i) month = core::PreviousMonth(month);
    for (int i = 0; i < kAnalyticsMonths; ++i, month = core::NextMonth(month)) {
        out.push_back({core::ToString(month),
                       {core::NairobiMonthStartUtc(month), core::NairobiMonthStartUtc(core::NextMonth(month))}});
    }
    return out;
}

namespace {

template <class T, class Sum>
core::Result<AnalyticsSeries<T>> Series(AnalyticsPeriod period, std::string_view today, Sum sum) {
    auto buckets = AnalyticsBuckets(period, today);
    if (!buckets) return core::Fail(core::ErrorCode::kInternal, "analytics: today is not a day");
    std::vector<storage::Store::TimeSpan> spans;
    for (const auto& b : *buckets) spans.push_back(b.span);
    auto values = sum(spans);
    if (!values) return core::Fail(values.error());
    return AnalyticsSeries<T>{period, std::move(*buckets), std::move(*values)};
}

}  // namespace

core::Result<AnalyticsSeries<storage::Store::CollectionSums>> CollectionSeries(storage::Store& store, int64_t agency_id,
                                                                               AnalyticsPeriod period,
                                                                               std::string_view today) {
    return Series<storage::Store::CollectionSums>(
        period, today, [&](const auto& spans) { return store.SumCollections(agency_id, spans); });
}

core::Result<AnalyticsSeries<storage::Store::StkOutcomeCounts>> StkSeries(storage::Store& store, int64_t agency_id,
                                                                          AnalyticsPeriod period,
                                                                          std::string_view today) {
    return Series<storage::Store::StkOutcomeCounts>(
        period, today, [&](const auto& spans) { return store.CountStkOutcomes(agency_id, spans); });
}

core::Result<AnalyticsSeries<std::vector<storage::Store::TransferSums>>> TransferSeries(storage::Store& store,
                                                                                        int64_t agency_id,
                                                                                        AnalyticsPeriod period,
                                                                                        std::string_view today) {
    return Series<std::vector<storage::Store::TransferSums>>(
        period, today, [&](const auto& spans) { return store.SumTransfers(agency_id, spans); });
}

std::optional<double> StkSuccessRate(const storage::Store::StkOutcomeCounts& c) {
    const int64_t finished = c.succeeded + c.failed;
    if (finished == 0) return std::nullopt;
    return static_cast<double>(c.succeeded) / static_cast<double>(finished);
}

core::Result<TopArrears> TopArrearsOf(storage::Store& store, int64_t agency_id, std::string_view today, size_t limit) {
    auto month = core::MonthOfDay(today);
    if (!month) return core::Fail(core::ErrorCode::kInternal, "analytics: today is not a day");
    auto roll = BuildRentRoll(store, agency_id, *month, today);
    if (!roll) return core::Fail(roll.error());
    TopArrears out;
    auto& rows = roll->rows;
    std::erase_if(rows, [](const RentRollRow& r) { return r.line.balance <= 0; });
    out.leases_in_arrears = static_cast<int64_t>(rows.size());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const RentRollRow& a, const RentRollRow& b) { return a.line.balance > b.line.balance; });
    if (rows.size() > limit) rows.resize(limit);
    out.roll = std::move(*roll);
    return out;
}

}  // namespace haven::service
