// The tenant payment page's API and the start-up configuration a new operator meets.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using Tenant = GatewayTest;

std::string TokenFromLink(const json& lease) {
    const std::string link = lease["paymentLink"];
    return link.substr(link.find("t=") + 2);
}

TEST_F(Tenant, PaysRentThroughThePaymentLinkWithoutLoggingIn) {
    auto staff = Login("admin@a.test");
    auto lease = CreateLease(staff);
    const auto t = TokenFromLink(lease);
    auto summary = Api("GET", "/api/v1/pay/" + t);
    ASSERT_EQ(summary.status, 200) << summary.body.dump();
    EXPECT_EQ(summary.body["data"]["amountDue"], 15000);
    EXPECT_EQ(summary.body["data"]["phoneHint"], "0708***149");
    EXPECT_EQ(summary.body["data"]["agencyName"], "Agency A");

    auto push = Api("POST", "/api/v1/pay/" + t + "/stk-push", {{"phoneNumber", "0708 374 149"}}, "",
                    {{"Idempotency-Key", "tenant-try-1"}});
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string id = push.body["data"]["checkoutRequestId"];
    json status;
    ASSERT_TRUE(Eventually([&] {
        status = Api("GET", "/api/v1/pay/" + t + "/status/" + id).body["data"];
        return status["status"] == "SUCCESS";
    }));
    EXPECT_EQ(status["phoneNumber"], "2547****4149");
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, staff);
    ASSERT_EQ(payments.body["data"].size(), 1u);
    EXPECT_EQ(payments.body["data"][0]["amount"], 15000);
}

TEST_F(Tenant, ForgedOrAlteredLinksAreNotFound) {
    auto staff = Login("admin@a.test");
    auto lease = CreateLease(staff);
    auto t = TokenFromLink(lease);
    EXPECT_EQ(Api("GET", "/api/v1/pay/garbage").status, 404);
    std::string altered = t;
    altered.back() = altered.back() == 'a' ? 'b' : 'a';
    EXPECT_EQ(Api("GET", "/api/v1/pay/" + altered).status, 404);
    EXPECT_EQ(Api("POST", "/api/v1/pay/" + altered + "/stk-push", {{"phoneNumber", "0708374149"}}).status, 404);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0);
}

TEST(Config, MissingOrMalformedSettingsNameTheVariable) {
    auto env = [](std::map<std::string, std::string> values) {
        return [values](const std::string& k) -> std::optional<std::string> {
            auto it = values.find(k);
            return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    };
    auto defaults = app::LoadConfig(env({}));
    ASSERT_TRUE(defaults.has_value());
    EXPECT_EQ(defaults->environment, "simulator");
    EXPECT_EQ(defaults->port, 4000);
    EXPECT_EQ(defaults->database_url, "sqlite:./data/haven.db");

    auto bad_port = app::LoadConfig(env({{"PORT", "forty"}}));
    ASSERT_FALSE(bad_port.has_value());
    EXPECT_EQ(bad_port.error().message.rfind("PORT:", 0), 0u) << bad_port.error().message;

    auto bad_env = app::LoadConfig(env({{"MPESA_ENVIRONMENT", "staging"}}));
    ASSERT_FALSE(bad_env.has_value());
    EXPECT_EQ(bad_env.error().message.rfind("MPESA_ENVIRONMENT:", 0), 0u);

    auto sandbox = app::LoadConfig(env({{"MPESA_ENVIRONMENT", "sandbox"}, {"MPESA_CONSUMER_KEY", "k"}}));
    ASSERT_FALSE(sandbox.has_value());
    EXPECT_EQ(sandbox.error().message.rfind("MPESA_CONSUMER_SECRET:", 0), 0u) << sandbox.error().message;

    auto full = app::LoadConfig(env({{"MPESA_ENVIRONMENT", "production"},
                                     {"MPESA_CONSUMER_KEY", "k"},
                                     {"MPESA_CONSUMER_SECRET", "s"},
                                     {"MPESA_SHORTCODE", "600111"},
                                     {"MPESA_PASSKEY", "p"},
                                     {"MPESA_CALLBACK_URL", "http://insecure.example/cb"},
                                     {"JWT_SECRET", std::string(40, 'j')}}));
    ASSERT_FALSE(full.has_value());
    EXPECT_EQ(full.error().message.rfind("MPESA_CALLBACK_URL:", 0), 0u) << full.error().message;

    auto bad_db = app::LoadConfig(env({{"DATABASE_URL", "mysql://x"}}));
    ASSERT_FALSE(bad_db.has_value());
    EXPECT_EQ(bad_db.error().message.rfind("DATABASE_URL:", 0), 0u);

    auto sandbox_ok = app::LoadConfig(env({{"MPESA_CONSUMER_KEY", "k"},
                                           {"MPESA_CONSUMER_SECRET", "s"},
                                           {"MPESA_SHORTCODE", "174379"},
                                           {"MPESA_PASSKEY", "p"},
                                           {"MPESA_CALLBACK_URL", "https://haven.example/api/v1/mpesa/callback"},
                                           {"JWT_SECRET", std::string(40, 'j')}}));
    ASSERT_TRUE(sandbox_ok.has_value()) << sandbox_ok.error().message;
    EXPECT_EQ(sandbox_ok->environment, "sandbox");
    EXPECT_EQ(sandbox_ok->base_url, "https://sandbox.safaricom.co.ke");
}

}  // namespace
}  // namespace haven::testing
