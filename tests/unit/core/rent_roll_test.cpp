#include "core/rent_roll.hpp"

#include <gtest/gtest.h>

#include "core/time.hpp"

namespace haven::core {
namespace {

Lease MakeLease(std::string start, int64_t rent = 10000, int due_day = 5, std::string end = "") {
    Lease l;
    l.id = 1;
    l.monthly_rent = rent;
    l.due_day = due_day;
    l.start_date = std::move(start);
    l.end_date = std::move(end);
    if (!l.end_date.empty()) l.ended_at = "2026-12-01T00:00:00Z";
    return l;
}

YearMonth M(int y, int m) { return YearMonth{y, m}; }

TEST(RentRollMonth, ParsesOnlyYearDashMonth) {
    EXPECT_EQ(ParseYearMonth("2026-11"), M(2026, 11));
    EXPECT_EQ(ParseYearMonth("2026-01"), M(2026, 1));
    for (const char* bad :
         {"2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", "abcd-ef", "2026-+1"}) {
        EXPECT_FALSE(ParseYearMonth(bad)) << bad;
    }
    EXPECT_EQ(ToString(M(2026, 3)), "2026-03");
    EXPECT_EQ(NextMonth(M(2026, 12)), M(2027, 1));
    EXPECT_EQ(PreviousMonth(M(2027, 1)), M(2026, 12));
    EXPECT_EQ(MonthsBetween(M(2025, 11), M(2026, 2)), 3);
}

TEST(RentRollDueDate, LateDaysFallOnAShortMonthsLastDay) {
    EXPECT_EQ(DueDate(M(2026, 11), 5), "2026-11-05");
    EXPECT_EQ(DueDate(M(2026, 4), 31), "2026-04-30");
    EXPECT_EQ(DueDate(M(2026, 2), 29), "2026-02-28");
    EXPECT_EQ(DueDate(M(2026, 2), 31), "2026-02-28");
    EXPECT_EQ(DueDate(M(2028, 2), 30), "2028-02-29");  // leap year
    EXPECT_EQ(DueDate(M(2100, 2), 29), "2100-02-28");  // a century that is not a leap year
    EXPECT_EQ(DueDate(M(2000, 2), 31), "2000-02-29");  // one that is
    EXPECT_EQ(DueDate(M(2026, 1), 31), "2026-01-31");
}

TEST(RentRollMonth, APaymentBelongsToTheNairobiMonthOfItsCompletion) {
    // 21:00 UTC on 31 October is midnight on 1 November in Nairobi.
    EXPECT_EQ(NairobiMonthOf(*ParseIsoUtc("2026-10-31T20:59:59Z")), M(2026, 10));
    EXPECT_EQ(NairobiMonthOf(*ParseIsoUtc("2026-10-31T21:00:00Z")), M(2026, 11));
    EXPECT_EQ(NairobiMonthStartUtc(M(2026, 11)), "2026-10-31T21:00:00Z");
    EXPECT_EQ(NairobiMonthStartUtc(M(2026, 3)), "2026-02-28T21:00:00Z");
    EXPECT_EQ(NairobiMonthStartUtc(M(2028, 3)), "2028-02-29T21:00:00Z");
    EXPECT_EQ(NairobiMonthStartUtc(M(2027, 1)), "2026-12-31T21:00:00Z");
    EXPECT_EQ(NairobiDayOf(*ParseIsoUtc("2026-12-31T22:30:00Z")), "2027-01-01");
}

TEST(RentRollAccrual, FromTheStartMonthThroughTheEndMonth) {
    const Lease open = MakeLease("2026-09-20");
    EXPECT_FALSE(AccruesIn(open, M(2026, 8)));
    EXPECT_TRUE(AccruesIn(open, M(2026, 9)));  // the start month owes a full month
    EXPECT_TRUE(AccruesIn(open, M(2030, 1)));
    const Lease ended = MakeLease("2026-09-20", 10000, 5, "2026-11-10");
    EXPECT_TRUE(AccruesIn(ended, M(2026, 11)));
    EXPECT_FALSE(AccruesIn(ended, M(2026, 12)));
    EXPECT_EQ(RentDueBefore(open, M(2026, 9)), 0);
    EXPECT_EQ(RentDueBefore(open, M(2026, 8)), 0);
    EXPECT_EQ(RentDueBefore(open, M(2026, 12)), 30000);  // Sep, Oct, Nov
    EXPECT_EQ(RentDueBefore(ended, M(2026, 12)), 30000);
    EXPECT_EQ(RentDueBefore(ended, M(2027, 6)), 30000);  // nothing after the end month
}

TEST(RentRollAccrual, ALeaseWithoutAStartDateStartsTheNairobiDayItWasCreated) {
    Lease l = MakeLease("");
    l.created_at = "2026-10-31T22:00:00Z";  // 1 November in Nairobi
    EXPECT_FALSE(AccruesIn(l, M(2026, 10)));
    EXPECT_TRUE(AccruesIn(l, M(2026, 11)));
}

TEST(RentRollLine, StatusesFromTheMonthsBalance) {
    const Lease l = MakeLease("2026-11-01");
    const YearMonth nov = M(2026, 11);
    auto line = ComputeRentLine(l, nov, {.paid_within = 10000}, "2026-11-02");
    EXPECT_EQ(line.status, RentStatus::kPaid);
    EXPECT_EQ(line.balance, 0);
    line = ComputeRentLine(l, nov, {.paid_within = 4000}, "2026-11-02");
    EXPECT_EQ(line.status, RentStatus::kPartial);
    EXPECT_EQ(line.balance, 6000);
    EXPECT_FALSE(line.late);  // not yet the 5th
    line = ComputeRentLine(l, nov, {}, "2026-11-02");
    EXPECT_EQ(line.status, RentStatus::kUnpaid);
    EXPECT_EQ(line.balance, 10000);
    line = ComputeRentLine(l, nov, {.paid_within = 12500}, "2026-11-02");
    EXPECT_EQ(line.status, RentStatus::kOverpaid);
    EXPECT_EQ(line.balance, -2500);
}

TEST(RentRollLine, LateAfterTheDueDayWhileSomethingIsOwed) {
    const Lease l = MakeLease("2026-11-01", 10000, 5);
    const YearMonth nov = M(2026, 11);
    EXPECT_FALSE(ComputeRentLine(l, nov, {.paid_within = 4000}, "2026-11-05").late);  // on the due day: not late
    auto line = ComputeRentLine(l, nov, {.paid_within = 4000}, "2026-11-06");
    EXPECT_TRUE(line.late);
    EXPECT_EQ(line.status, RentStatus::kPartial);  // late is a flag beside the status
    EXPECT_TRUE(ComputeRentLine(l, nov, {}, "2026-12-01").late);
    EXPECT_FALSE(ComputeRentLine(l, nov, {.paid_within = 10000}, "2026-12-01").late);
    EXPECT_EQ(ComputeRentLine(l, nov, {}, "2026-12-01").due_date, "2026-11-05");
}

TEST(RentRollLine, BalanceCarriesForwardArrearsAndCredit) {
    const Lease l = MakeLease("2026-09-01", 10000);
    // Sep and Oct owed 20000, 15000 paid: 5000 arrears brought into November.
    auto line = ComputeRentLine(l, M(2026, 11), {.paid_before = 15000, .paid_within = 10000}, "2026-11-02");
    EXPECT_EQ(line.brought_forward, 5000);
    EXPECT_EQ(line.due, 10000);
    EXPECT_EQ(line.balance, 5000);
    EXPECT_EQ(line.status, RentStatus::kPartial);  // paid this month's rent but still owes the arrears
    // 25000 paid before: 5000 credit covers half of November.
    line = ComputeRentLine(l, M(2026, 11), {.paid_before = 25000, .paid_within = 5000}, "2026-11-02");
    EXPECT_EQ(line.brought_forward, -5000);
    EXPECT_EQ(line.balance, 0);
    EXPECT_EQ(line.status, RentStatus::kPaid);
    // Credit larger than the month's rent: overpaid with nothing paid in the month, never late.
    line = ComputeRentLine(l, M(2026, 11), {.paid_before = 35000}, "2026-11-30");
    EXPECT_EQ(line.balance, -5000);
    EXPECT_EQ(line.status, RentStatus::kOverpaid);
    EXPECT_FALSE(line.late);
}

TEST(RentRollLine, RefundsAndReversalsCountInTheMonthTheyComplete) {
    const Lease l = MakeLease("2026-10-01", 10000);
    // October's 10000 was paid in October and reversed in November: October stays settled in the past, but November
    // brings forward nothing and its own net payment is 10000 - 10000.
    auto line = ComputeRentLine(l, M(2026, 11), {.paid_before = 10000, .paid_within = 10000, .refunded_within = 10000},
                                "2026-11-20");
    EXPECT_EQ(line.brought_forward, 0);
    EXPECT_EQ(line.paid, 0);
    EXPECT_EQ(line.balance, 10000);
    EXPECT_EQ(line.status, RentStatus::kUnpaid);
    EXPECT_TRUE(line.late);
    // A refund in an earlier month lowers what was paid before.
    line = ComputeRentLine(l, M(2026, 11), {.paid_before = 12000, .paid_within = 10000, .refunded_before = 2000},
                           "2026-11-20");
    EXPECT_EQ(line.brought_forward, 0);
    EXPECT_EQ(line.status, RentStatus::kPaid);
    // More refunded than paid in the month: the net is negative.
    line = ComputeRentLine(l, M(2026, 11), {.paid_before = 20000, .refunded_within = 10000}, "2026-11-02");
    EXPECT_EQ(line.paid, -10000);
    EXPECT_EQ(line.brought_forward, -10000);
    EXPECT_EQ(line.balance, 10000);
    EXPECT_EQ(line.status, RentStatus::kUnpaid);
}

TEST(RentRollStatus, NamesRoundTrip) {
    for (auto s : {RentStatus::kPaid, RentStatus::kPartial, RentStatus::kUnpaid, RentStatus::kOverpaid}) {
        EXPECT_EQ(ParseRentStatus(ToString(s)), s);
    }
    EXPECT_FALSE(ParseRentStatus("late"));
}

}  // namespace
}  // namespace haven::core
