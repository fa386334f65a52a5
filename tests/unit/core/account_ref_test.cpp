#include "core/account_ref.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace haven::core {
namespace {

// What tenants really type for the lease whose reference is on the right.
const std::vector<std::pair<std::string, std::string>> kVariants = {
    {"B4", "B4"},
    {"b4", "B4"},
    {"b-4", "B4"},
    {"B 4", "B4"},
    {" b4 ", "B4"},
    {"B-04", "B4"},
    {"B04", "B4"},
    {"b_4", "B4"},
    {"B.4", "B4"},
    {"B/4", "B4"},
    {"#B4", "B4"},
    {"apt b4", "B4"},
    {"Apt. B-4", "B4"},
    {"4B", "4B"},
    {"apt 4b", "4B"},
    {"Apartment 4B", "4B"},
    {"UNIT 4-B", "4B"},
    {"unit4b", "4B"},
    {"Hse 4B", "4B"},
    {"House No. 4B", "4B"},
    {"house no 4b", "4B"},
    {"Flat 4B", "4B"},
    {"Rm 4B", "4B"},
    {"Room 04B", "4B"},
    {"No. 4B", "4B"},
    {"004", "4"},
    {"4", "4"},
    {"Unit 004", "4"},
    {"0", "0"},
    {"000", "0"},
    {"A-12-03", "A12-3"},
    {"a12/3", "A12-3"},
    {"ACC001", "ACC1"},
    {"acc-001", "ACC1"},
    {"ACC 1", "ACC1"},
    {"Kilimani-07", "KILIMANI7"},
};

TEST(AccountRef, RealWorldVariantsReduceToTheLeaseKey) {
    for (const auto& [typed, key] : kVariants) EXPECT_EQ(NormalizeAccountRef(typed), key) << "typed: " << typed;
}

TEST(AccountRef, TypedAndStoredFormsMeet) {
    // The lease's own reference is normalised by the same rule, so "B-04" on the lease meets "b4" typed.
    EXPECT_EQ(NormalizeAccountRef("B-04"), NormalizeAccountRef("b 4"));
    EXPECT_EQ(NormalizeAccountRef("Unit 4B"), NormalizeAccountRef("4-b"));
}

TEST(AccountRef, DifferentUnitsNeverCollide) {
    const std::vector<std::pair<std::string, std::string>> distinct = {
        {"B4", "B40"}, {"4B", "B4"},      {"B4", "B14"}, {"1-5", "15"},   {"10", "1"},
        {"B4", "BB4"}, {"A4", "B4"},      {"40", "4"},   {"4B", "4BB"},   {"A12-3", "A123"},
        {"B4", "4"},   {"Apt B4", "B4A"}, {"101", "11"}, {"B100", "B10"},
    };
    for (const auto& [a, b] : distinct) EXPECT_NE(NormalizeAccountRef(a), NormalizeAccountRef(b)) << a << " vs " << b;
}

TEST(AccountRef, AUnitWordAloneIsKept) {
    // Only a unit word followed by something names a unit; on its own it is the reference.
    EXPECT_EQ(NormalizeAccountRef("Flat"), "FLAT");
    EXPECT_EQ(NormalizeAccountRef("unit no"), "NO");
    EXPECT_EQ(NormalizeAccountRef("APTITUDE4"), "APTITUDE4");
}

TEST(AccountRef, NothingUsefulIsEmpty) {
    for (const char* typed : {"", "   ", "--", "./#", "\xc3\xa9\xc3\xa9"})
        EXPECT_EQ(NormalizeAccountRef(typed), "") << typed;
}

}  // namespace
}  // namespace haven::core
