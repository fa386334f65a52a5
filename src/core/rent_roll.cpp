#include "core/rent_roll.hpp"

#include <algorithm>
#include <charconv>

#include "core/time.hpp"

namespace haven::core {

namespace {

std::optional<int> Digits(std::string_view text) {
    int out = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return out;
}

std::string Pad(int value, int width) {
    std::string s = std::to_string(value);
    if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
    return s;
}

}  // namespace

std::optional<YearMonth> ParseYearMonth(std::string_view text) {
    if (text.size() != 7 || text[4] != '-') return std::nullopt;
    auto year = Digits(text.substr(0, 4));
    auto month = Digits(text.substr(5, 2));
    if (!year || !month || *year < 1970 || *month < 1 || *month > 12) return std::nullopt;
    return YearMonth{*year, *month};
}

std::string ToString(YearMonth m) { return Pad(m.year, 4) + "-" + Pad(m.month, 2); }

YearMonth NextMonth(YearMonth m) { return m.month == 12 ? YearMonth{m.year + 1, 1} : YearMonth{m.year, m.month + 1}; }

YearMonth PreviousMonth(YearMonth m) {
    return m.month == 1 ? YearMonth{m.year - 1, 12} : YearMonth{m.year, m.month - 1};
}

int64_t MonthsBetween(YearMonth a, YearMonth b) {
    return (int64_t{b.year} - a.year) * 12 + (int64_t{b.month} - a.month);
}

int DaysInMonth(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && leap) return 29;
    return kDays[std::clamp(month, 1, 12) - 1];
}

std::string DueDate(YearMonth month, int due_day) {
    const int day = std::clamp(due_day, 1, DaysInMonth(month.year, month.month));
    return ToString(month) + "-" + Pad(day, 2);
}

YearMonth NairobiMonthOf(std::chrono::system_clock::time_point t) {
    // IsoUtc of the instant moved by the fixed offset is the Nairobi wall time.
    return *ParseYearMonth(IsoUtc(t + kEatOffset).substr(0, 7));
}

std::string NairobiDayOf(std::chrono::system_clock::time_point t) { return IsoUtc(t + kEatOffset).substr(0, 10); }

std::optional<YearMonth> MonthOfDay(std::string_view day) {
    if (day.size() < 7) return std::nullopt;
    return ParseYearMonth(day.substr(0, 7));
}

std::string NairobiMonthStartUtc(YearMonth month) {
    // Midnight on the 1st in Nairobi is 21:00 UTC on the last day of the month before.
    const YearMonth before = PreviousMonth(month);
    return ToString(before) + "-" + Pad(DaysInMonth(before.year, before.month), 2) + "T21:00:00Z";
}

std::optional<YearMonth> FirstRentMonth(const Lease& lease) {
    if (!lease.start_date.empty()) return MonthOfDay(lease.start_date);
    // A lease without a start date starts on the Nairobi day it was created.
    if (auto created = ParseIsoUtc(lease.created_at)) return NairobiMonthOf(*created);
    return std::nullopt;
}

std::optional<YearMonth> LastRentMonth(const Lease& lease) {
    if (lease.end_date.empty()) return std::nullopt;
    return MonthOfDay(lease.end_date);
}

bool AccruesIn(const Lease& lease, YearMonth month) {
    auto first = FirstRentMonth(lease);
    if (!first || month < *first) return false;
    auto last = LastRentMonth(lease);
    return !last || month <= *last;
}

int64_t RentDueBefore(const Lease& lease, YearMonth month) {
    auto first = FirstRentMonth(lease);
    if (!first || month <= *first) return 0;
    YearMonth stop = month;  // exclusive
    if (auto last = LastRentMonth(lease); last && NextMonth(*last) < stop) stop = NextMonth(*last);
    const int64_t months = std::max<int64_t>(0, MonthsBetween(*first, stop));
    return months * lease.monthly_rent;
}

std::string_view ToString(RentStatus s) {
    switch (s) {
        case RentStatus::kPaid:
            return "paid";
        case RentStatus::kPartial:
            return "partial";
        case RentStatus::kUnpaid:
            return "unpaid";
        case RentStatus::kOverpaid:
            return "overpaid";
    }
    return "unpaid";
}

std::optional<RentStatus> ParseRentStatus(std::string_view text) {
    for (RentStatus s : {RentStatus::kPaid, RentStatus::kPartial, RentStatus::kUnpaid, RentStatus::kOverpaid}) {
        if (ToString(s) == text) return s;
    }
    return std::nullopt;
}

RentLine ComputeRentLine(const Lease& lease, YearMonth month, const LeaseMoney& money, std::string_view today) {
    RentLine line;
    line.brought_forward = RentDueBefore(lease, month) - (money.paid_before - money.refunded_before);
    line.due = AccruesIn(lease, month) ? lease.monthly_rent : 0;
    line.paid = money.paid_within - money.refunded_within;
    line.balance = line.brought_forward + line.due - line.paid;
    if (line.balance == 0) {
        line.status = RentStatus::kPaid;
    } else if (line.balance < 0) {
        line.status = RentStatus::kOverpaid;
    } else {
        line.status = line.paid > 0 ? RentStatus::kPartial : RentStatus::kUnpaid;
    }
    line.due_date = DueDate(month, lease.due_day);
    // ISO days compare as text.
    line.late = line.balance > 0 && std::string_view(line.due_date) < today;
    return line;
}

}  // namespace haven::core
