#pragma once
// The analytics series (GET /api/v1/analytics/..., docs/analytics.md): the agency's collections, STK outcomes and
// transfers per Nairobi day (the last 30 days, today included) or per Nairobi month (the last 12, this one
// included), and the largest arrears of this month's rent roll. Days and months are Nairobi's (EAT, UTC+3, no
// daylight saving); the spans are made here, the sums come from one store call per series.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "service/rent_roll.hpp"
#include "storage/store.hpp"

namespace haven::service {

enum class AnalyticsPeriod { kDay, kMonth };
std::string_view ToString(AnalyticsPeriod p);
std::optional<AnalyticsPeriod> ParseAnalyticsPeriod(std::string_view text);  // "day" | "month"

inline constexpr int kAnalyticsDays = 30;
inline constexpr int kAnalyticsMonths = 12;

/// One day ("2026-11-28") or month ("2026-11") of a series and the UTC span it covers.
struct AnalyticsBucket {
    std::string label;
    storage::Store::TimeSpan span;
};

/// The buckets of a series ending with the day or month of `today` (a Nairobi day "YYYY-MM-DD"), oldest first:
/// 30 days or 12 months. std::nullopt when today is malformed.
std::optional<std::vector<AnalyticsBucket>> AnalyticsBuckets(AnalyticsPeriod period, std::string_view today);

template <class T>
struct AnalyticsSeries {
    AnalyticsPeriod period = AnalyticsPeriod::kDay;
    std::vector<AnalyticsBucket> buckets;
    std::vector<T> values;  // one per bucket
};

core::Result<AnalyticsSeries<storage::Store::CollectionSums>> CollectionSeries(storage::Store& store, int64_t agency_id,
                                                                               AnalyticsPeriod period,
                                                                               std::string_view today);
core::Result<AnalyticsSeries<storage::Store::StkOutcomeCounts>> StkSeries(storage::Store& store, int64_t agency_id,
                                                                          AnalyticsPeriod period,
                                                                          std::string_view today);
core::Result<AnalyticsSeries<std::vector<storage::Store::TransferSums>>> TransferSeries(storage::Store& store,
                                                                                        int64_t agency_id,
                                                                                        AnalyticsPeriod period,
                                                                                        std::string_view today);

/// The share of finished pushes that succeeded (succeeded / (succeeded + failed)); std::nullopt when none finished.
std::optional<double> StkSuccessRate(const storage::Store::StkOutcomeCounts& c);

/// This month's rent roll (judged on `today`) and its `limit` largest arrears (positive balances), largest first;
/// ties by lease id.
struct TopArrears {
    RentRoll roll;                  // rows: only the top ones
    int64_t leases_in_arrears = 0;  // over the whole roll
};
core::Result<TopArrears> TopArrearsOf(storage::Store& store, int64_t agency_id, std::string_view today, size_t limit);

}  // namespace haven::service
