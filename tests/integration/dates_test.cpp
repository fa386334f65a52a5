// Dates as the seed's examples show them: instants in ISO-8601 UTC with milliseconds
// ("2024-12-13T10:30:00.000Z"), M-Pesa's own yyyyMMddHHmmss kept beside as mpesaTransactionDate, and
// completedAt for when a transaction reached its final state, which "completed today" lists filter on.
#include <regex>

#include "core/time.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using Dates = GatewayTest;

bool IsApiInstant(const json& value) {
    static const std::regex kInstant(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return value.is_string() && std::regex_match(value.get<std::string>(), kInstant);
}

/// Today's date in Nairobi, as the list filters read dates.
std::string NairobiToday(int days_from_today = 0) {
    auto t = std::chrono::system_clock::now() + core::kEatOffset + std::chrono::hours(24 * days_from_today);
    return core::IsoUtc(t).substr(0, 10);
}

TEST_F(Dates, APaidPushShowsIsoInstantsTheMpesaDateAndWhenItCompleted) {
    auto token = Login("admin@a.test");
    SimRule(91, {{"resultCode", "0"}, {"delayMs", 600}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(91), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string checkout = push.body["data"]["checkoutRequestId"];

    auto pending = Api("GET", "/api/v1/mpesa/status/" + checkout, nullptr, token);
    ASSERT_EQ(pending.status, 200);
    if (pending.body["data"]["status"] == "PENDING") {
        EXPECT_TRUE(pending.body["data"]["completedAt"].is_null());
        EXPECT_TRUE(pending.body["data"]["transactionDate"].is_null());
    }
    EXPECT_TRUE(IsApiInstant(pending.body["data"]["createdAt"])) << pending.body.dump();

    auto done = WaitFinal(token, checkout);
    ASSERT_EQ(done["status"], "SUCCESS") << done.dump();
    for (const char* field : {"createdAt", "updatedAt", "completedAt", "transactionDate"}) {
        EXPECT_TRUE(IsApiInstant(done[field])) << field << ": " << done[field].dump();
    }
    const std::string raw = done["mpesaTransactionDate"];
    ASSERT_EQ(raw.size(), 14u);
    // M-Pesa's date is Nairobi time: the instant is three hours earlier in UTC.
    auto instant = core::ParseDarajaTimestamp(raw);
    ASSERT_TRUE(instant);
    EXPECT_EQ(done["transactionDate"], core::IsoUtcMillis(*instant));
}

TEST_F(Dates, CompletedTodayIsAListFilterInNairobiDays) {
    auto token = Login("admin@a.test");
    SimRule(92, {{"resultCode", "0"}, {"delayMs", 0}});
    SimRule(93, {{"resultCode", "0"}, {"delayMs", 60000}});  // stays PENDING for this test
    auto paid = Api("POST", "/api/v1/mpesa/stk-push", StkBody(92), token);
    auto waiting = Api("POST", "/api/v1/mpesa/stk-push", StkBody(93), token);
    ASSERT_EQ(paid.status, 200);
    ASSERT_EQ(waiting.status, 200);
    ASSERT_EQ(WaitFinal(token, paid.body["data"]["checkoutRequestId"])["status"], "SUCCESS");

    const std::string today = NairobiToday();
    auto completed_today =
        Api("GET", "/api/v1/mpesa/transactions?completedFrom=" + today + "&completedTo=" + today, nullptr, token);
    ASSERT_EQ(completed_today.status, 200) << completed_today.body.dump();
    const auto& items = completed_today.body["data"]["items"];
    ASSERT_EQ(items.size(), 1u) << items.dump();
    EXPECT_EQ(items[0]["amount"], 92);

    const std::string yesterday = NairobiToday(-1);
    auto completed_yesterday = Api(
        "GET", "/api/v1/mpesa/transactions?completedFrom=" + yesterday + "&completedTo=" + yesterday, nullptr, token);
    ASSERT_EQ(completed_yesterday.status, 200);
    EXPECT_EQ(completed_yesterday.body["data"]["items"].size(), 0u);

    auto bad = Api("GET", "/api/v1/mpesa/transactions?completedFrom=yesterday", nullptr, token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["error"]["details"][0]["field"], "completedFrom") << bad.body.dump();
}

}  // namespace
}  // namespace haven::testing
