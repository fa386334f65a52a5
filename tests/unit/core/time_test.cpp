#include "core/time.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

using std::chrono::system_clock;
using namespace std::chrono_literals;

// Builds a UTC instant from civil fields without going through the code under test.
system_clock::time_point Utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return system_clock::time_point{std::chrono::sys_days{std::chrono::year{y} / mo / d}} + std::chrono::hours{h} +
           std::chrono::minutes{mi} + std::chrono::seconds{s};
}

TEST(DarajaTimestamp, IsNairobiTimeAtAFixedInstant) {
    // 2026-11-28T04:16:30Z is 07:16:30 in Nairobi.
    EXPECT_EQ(DarajaTimestamp(Utc(2026, 11, 28, 4, 16, 30)), "20261128071630");
}

TEST(DarajaTimestamp, RollsOverDayMonthAndYear) {
    EXPECT_EQ(DarajaTimestamp(Utc(2026, 12, 31, 22, 30, 0)), "20270101013000");
    EXPECT_EQ(DarajaTimestamp(Utc(2028, 2, 28, 21, 0, 0)), "20280229000000");  // leap day
    EXPECT_EQ(DarajaTimestamp(Utc(2026, 6, 30, 20, 59, 59)), "20260630235959");
    EXPECT_EQ(DarajaTimestamp(Utc(2026, 6, 30, 21, 0, 0)), "20260701000000");
}

TEST(DarajaTimestamp, DropsSubSecondParts) {
    EXPECT_EQ(DarajaTimestamp(Utc(2026, 1, 2, 3, 4, 5) + 999ms), "20260102060405");
}

TEST(IsoUtc, FormatsSecondsWithZ) {
    EXPECT_EQ(IsoUtc(Utc(2026, 11, 28, 4, 16, 30)), "2026-11-28T04:16:30Z");
    EXPECT_EQ(IsoUtc(Utc(1970, 1, 1, 0, 0, 0)), "1970-01-01T00:00:00Z");
    EXPECT_EQ(IsoUtc(Utc(2026, 11, 28, 4, 16, 30) + 500ms), "2026-11-28T04:16:30Z");
}

TEST(ParseIsoUtc, AcceptsDateOnlyAsMidnightUtc) { EXPECT_EQ(ParseIsoUtc("2026-11-28"), Utc(2026, 11, 28, 0, 0, 0)); }

TEST(ParseIsoUtc, AcceptsZulu) {
    EXPECT_EQ(ParseIsoUtc("2026-11-28T04:16:30Z"), Utc(2026, 11, 28, 4, 16, 30));
    EXPECT_EQ(ParseIsoUtc("2026-11-28 04:16:30Z"), Utc(2026, 11, 28, 4, 16, 30));
    EXPECT_EQ(ParseIsoUtc("2026-11-28T04:16:30.123Z"), Utc(2026, 11, 28, 4, 16, 30));
}

TEST(ParseIsoUtc, AppliesOffsets) {
    EXPECT_EQ(ParseIsoUtc("2026-11-28T07:16:30+03:00"), Utc(2026, 11, 28, 4, 16, 30));
    EXPECT_EQ(ParseIsoUtc("2027-01-01T01:30:00+03:00"), Utc(2026, 12, 31, 22, 30, 0));
    EXPECT_EQ(ParseIsoUtc("2026-11-28T00:16:30-04:00"), Utc(2026, 11, 28, 4, 16, 30));
    EXPECT_EQ(ParseIsoUtc("2026-11-28T04:16:30+00:00"), Utc(2026, 11, 28, 4, 16, 30));
}

TEST(ParseIsoUtc, RoundTripsIsoUtc) {
    auto t = Utc(2031, 3, 4, 5, 6, 7);
    EXPECT_EQ(ParseIsoUtc(IsoUtc(t)), t);
}

TEST(ParseIsoUtc, RejectsMalformedOrOutOfRange) {
    for (const char* text : {"",
                             "2026",
                             "2026-11",
                             "2026-13-01",
                             "2026-02-30",
                             "2027-02-29",
                             "2026-11-28T",
                             "2026-11-28T04:16:30",
                             "2026-11-28T24:00:00Z",
                             "2026-11-28T04:60:00Z",
                             "2026-11-28T04:16:60Z",
                             "2026-11-28T04:16Z",
                             "2026-11-28T04:16:30+0300",
                             "2026-11-28T04:16:30+03",
                             "2026-11-28T04:16:30+24:00",
                             "2026-11-28T04:16:30ZZ",
                             "2026-11-28T04:16:30.Z",
                             "2026/11/28",
                             "20261128",
                             "2026-11-28x",
                             "a026-11-28",
                             "2026-11-28T04:16:30Z "}) {
        EXPECT_FALSE(ParseIsoUtc(text).has_value()) << text;
    }
}

TEST(ParseDarajaTimestamp, ConvertsEatToUtc) {
    EXPECT_EQ(ParseDarajaTimestamp("20270101013000"), Utc(2026, 12, 31, 22, 30, 0));
    EXPECT_EQ(ParseDarajaTimestamp("20191219102115"), Utc(2019, 12, 19, 7, 21, 15));
}

TEST(ParseDarajaTimestamp, RoundTripsDarajaTimestamp) {
    auto t = Utc(2026, 11, 28, 4, 16, 30);
    EXPECT_EQ(ParseDarajaTimestamp(DarajaTimestamp(t)), t);
}

TEST(ParseDarajaTimestamp, RejectsMalformed) {
    for (const char* text :
         {"", "2026112807163", "202611280716300", "2026-11-28T07", "20261328071630", "20260230071630", "20261128241630",
          "20261128076030", "20261128071660", "2026112807163a", " 0261128071630"}) {
        EXPECT_FALSE(ParseDarajaTimestamp(text).has_value()) << text;
    }
}

}  // namespace
}  // namespace haven::core

namespace haven::core {
namespace {

TEST(IsoUtcMillis, ShowsMillisecondsAndUtc) {
    auto t = ParseIsoUtc("2024-12-13T13:30:00+03:00");
    ASSERT_TRUE(t);
    EXPECT_EQ(IsoUtcMillis(*t), "2024-12-13T10:30:00.000Z");
    EXPECT_EQ(IsoUtcMillis(*t + std::chrono::milliseconds(7)), "2024-12-13T10:30:00.007Z");
    EXPECT_EQ(IsoUtcMillis(*ParseDarajaTimestamp("20270101013000")), "2026-12-31T22:30:00.000Z");
}

}  // namespace
}  // namespace haven::core
