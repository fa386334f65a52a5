#pragma once
// The rent roll's rules (docs/rent-roll.md): which months a lease owes rent, when it falls due, which month a
// payment or a refund counts in, how the balance carries forward and what a month's status is. Pure arithmetic on
// Nairobi days and months (EAT, UTC+3, no daylight saving): no I/O, no clock (the caller passes "today").
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/models.hpp"

namespace haven::core {

/// A calendar month in Nairobi.
struct YearMonth {
    int year = 1970;
    int month = 1;  // 1-12
    auto operator<=>(const YearMonth&) const = default;
};

/// "2026-11" -> {2026, 11}; std::nullopt unless exactly YYYY-MM with a month 01-12 (years 1970-9999).
std::optional<YearMonth> ParseYearMonth(std::string_view text);
/// {2026, 11} -> "2026-11".
std::string ToString(YearMonth m);
YearMonth NextMonth(YearMonth m);
YearMonth PreviousMonth(YearMonth m);
/// Months from a to b (b - a; negative when b is before a).
int64_t MonthsBetween(YearMonth a, YearMonth b);
/// 28-31; February has 29 days in a leap year (divisible by 4, centuries only when divisible by 400).
int DaysInMonth(int year, int month);

/// The Nairobi day ("YYYY-MM-DD") rent of `month` falls due: the due day, or the month's last day when the month is
/// shorter (a due day of 31 falls on 30 April, 28 February, 29 February in a leap year). due_day is 1-31.
std::string DueDate(YearMonth month, int due_day);

/// The Nairobi month and day an instant falls in (an instant at 2026-10-31T21:00:00Z is 1 November in Nairobi).
YearMonth NairobiMonthOf(std::chrono::system_clock::time_point t);
std::string NairobiDayOf(std::chrono::system_clock::time_point t);
/// The month of a Nairobi day "YYYY-MM-DD" (its first 7 characters); std::nullopt when malformed.
std::optional<YearMonth> MonthOfDay(std::string_view day);
/// The UTC instant ("YYYY-MM-DDTHH:MM:SSZ", as the store keeps completion times) at which `month` begins in
/// Nairobi: midnight EAT on the 1st, i.e. 21:00 UTC on the day before. Stored times compare as text against it.
std::string NairobiMonthStartUtc(YearMonth month);

/// The months a lease accrues rent: from the month of its start date through the month of its end date (an ended
/// lease stops accruing after its end_date's month; a lease without an end date accrues for ever). A full month's
/// rent each month, at the lease's current monthly rent (no proration).
std::optional<YearMonth> FirstRentMonth(const Lease& lease);
std::optional<YearMonth> LastRentMonth(const Lease& lease);  // std::nullopt: no end date
bool AccruesIn(const Lease& lease, YearMonth month);
/// Rent due in the months before `month` (from the first rent month), in shillings.
int64_t RentDueBefore(const Lease& lease, YearMonth month);

/// A lease's money as the store sums it, split at the start of the month and the end of it (Nairobi): payments by
/// their completion time (paid_at), successful refunds and reversals of its payments by theirs (completed_at).
struct LeaseMoney {
    int64_t paid_before = 0;
    int64_t paid_within = 0;
    int64_t refunded_before = 0;
    int64_t refunded_within = 0;
};

enum class RentStatus { kPaid, kPartial, kUnpaid, kOverpaid };
std::string_view ToString(RentStatus s);
std::optional<RentStatus> ParseRentStatus(std::string_view text);

/// One lease's line of the month: balance = brought_forward + due - paid, where paid is the month's payments net
/// of the month's refunds and reversals. A positive balance is arrears, a negative one credit.
struct RentLine {
    int64_t brought_forward = 0;  // the balance at the end of the previous month
    int64_t due = 0;              // the month's rent (0 when the lease does not accrue in it)
    int64_t paid = 0;             // net; negative when more was refunded than paid in the month
    int64_t balance = 0;
    RentStatus status = RentStatus::kUnpaid;
    bool late = false;
    std::string due_date;  // the Nairobi day the month's rent falls due
};

/// The month's line of a lease. Status: paid when the balance is 0; overpaid when it is negative (credit); partial
/// when something is owed but the month's net payments are positive; unpaid when something is owed and nothing
/// (net) was paid in the month. `late` (a flag beside partial/unpaid): `today` (a Nairobi day) is after the month's
/// due date and the balance is still owed.
RentLine ComputeRentLine(const Lease& lease, YearMonth month, const LeaseMoney& money, std::string_view today);

}  // namespace haven::core
