#pragma once
// The agency's daily payout limit, stated once. Pure: the store reads the day's figures inside the unit of work
// that adds a payout (holding the agency's row, so two payouts at once on any number of nodes queue up) and asks
// this rule; the API asks it too, first, for an early answer.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace haven::core {

/// [from, to) of the Nairobi day (EAT) `t` falls in, as ISO-8601 UTC instants ("2026-12-01T21:00:00Z" ..).
struct DayBounds {
    std::string from;
    std::string to;
};
DayBounds NairobiDayBounds(std::chrono::system_clock::time_point t);

/// Whether `amount` more of payouts may be promised today. `counted` is what today already holds: the agency's
/// B2C payouts created today that did not fail (made or in flight) plus its B2C payouts awaiting approval.
/// No limit: always. Otherwise kUnprocessable, naming what remains today, when counted + amount passes it.
Result<void> CheckDailyPayout(std::optional<int64_t> limit, int64_t counted, int64_t amount);

}  // namespace haven::core
