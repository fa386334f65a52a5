#include "core/payout_limit.hpp"

#include <algorithm>

#include "core/time.hpp"

namespace haven::core {

DayBounds NairobiDayBounds(std::chrono::system_clock::time_point t) {
    const auto local_midnight = std::chrono::floor<std::chrono::days>(t + kEatOffset);
    const std::chrono::system_clock::time_point start = local_midnight - kEatOffset;
    return {IsoUtc(start), IsoUtc(start + std::chrono::days{1})};
}

Result<void> CheckDailyPayout(std::optional<int64_t> limit, int64_t counted, int64_t amount) {
    if (!limit || counted + amount <= *limit) return {};
    const int64_t remaining = std::max<int64_t>(0, *limit - counted);
    Error e = Error::Make(ErrorCode::kUnprocessable,
                          "this payout would pass the agency's daily payout limit of KES " + std::to_string(*limit) +
                              " (payouts made, in flight or awaiting approval today count): KES " +
                              std::to_string(remaining) + " remains today");
    e.details.push_back({"amount", "at most KES " + std::to_string(remaining) + " remains today"});
    return Fail(std::move(e));
}

}  // namespace haven::core
