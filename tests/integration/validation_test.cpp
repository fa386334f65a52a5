// Bad input gets a clear 400 naming the field and changes nothing (no row, no prompt).
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

struct BadField {
    const char* name;
    const char* field;
    json value;  // null = remove the field
};

void PrintTo(const BadField& b, std::ostream* os) { *os << b.name; }

class StkValidation : public GatewayTest, public ::testing::WithParamInterface<BadField> {};

TEST_P(StkValidation, RejectedWithTheFieldNamedAndNothingWritten) {
    auto token = Login("admin@a.test");
    json body = {
        {"phoneNumber", "0708374149"}, {"amount", 100}, {"accountReference", "A1"}, {"transactionDesc", "Rent"}};
    const auto& p = GetParam();
    if (p.value.is_null())
        body.erase(p.field);
    else
        body[p.field] = p.value;
    auto r = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["success"], false);
    EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
    ASSERT_TRUE(r.body["error"]["details"].is_array());
    EXPECT_EQ(r.body["error"]["details"][0]["field"], p.field);
    EXPECT_FALSE(r.body["error"]["message"].get<std::string>().empty());
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions", nullptr, token).body["data"]["items"].size(), 0u);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    EveryField, StkValidation,
    ::testing::Values(
        BadField{"PhoneMissing", "phoneNumber", nullptr}, BadField{"PhoneLetters", "phoneNumber", "07abc"},
        BadField{"PhoneForeign", "phoneNumber", "+14155550100"}, BadField{"PhoneTooShort", "phoneNumber", "07123"},
        BadField{"PhoneNumberType", "phoneNumber", 712345678}, BadField{"AmountMissing", "amount", nullptr},
        BadField{"AmountDecimal", "amount", 10.5}, BadField{"AmountString", "amount", "100"},
        BadField{"AmountNegative", "amount", -5}, BadField{"AmountZero", "amount", 0},
        BadField{"AmountTooBig", "amount", 250001}, BadField{"ReferenceMissing", "accountReference", nullptr},
        BadField{"ReferenceTooLong", "accountReference", "ABCDEFGHIJKLM"},
        BadField{"ReferenceEmpty", "accountReference", ""},
        BadField{"DescTooLong", "transactionDesc", std::string(101, 'x')},  // 100 kept; Daraja gets 13
        BadField{"LeaseNotAnId", "leaseId", "a b"}, BadField{"LeaseExternalUnknown", "leaseId", "abc"},
        BadField{"LeaseUnknown", "leaseId", 999999}),
    [](const auto& info) { return std::string(info.param.name); });

using Validation = GatewayTest;

TEST_F(Validation, AcceptedPhoneFormsAllNormalise) {
    auto token = Login("admin@a.test");
    for (const char* phone : {"0712345678", "254712345678", "+254712345678", "0712 345 678", "0110123456"}) {
        auto r = Api("POST", "/api/v1/leases",
                     {{"tenantName", "T"},
                      {"phoneNumber", phone},
                      {"unit", "U1"},
                      {"monthlyRent", 100},
                      {"accountReference", "R1"}},
                     token);
        ASSERT_EQ(r.status, 201) << phone << " " << r.body.dump();
        const std::string normalised = r.body["data"]["phoneNumber"];
        EXPECT_EQ(normalised.size(), 12u) << phone;
        EXPECT_EQ(normalised.rfind("254", 0), 0u) << phone;
    }
}

TEST_F(Validation, MalformedJsonAndWrongContentTypeAreClearErrors) {
    auto token = Login("admin@a.test");
    net::Headers headers{{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
    auto bad = Call("POST", gateway_->BaseUrl() + "/api/v1/mpesa/stk-push", "{\"amount\": 1", headers);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["error"]["code"], "INVALID_JSON");
    headers["Content-Type"] = "text/plain";
    auto text = Call("POST", gateway_->BaseUrl() + "/api/v1/mpesa/stk-push", "{}", headers);
    EXPECT_EQ(text.status, 415);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0);
}

TEST_F(Validation, LeaseFormListsEveryBadField) {
    auto token = Login("admin@a.test");
    auto r = Api("POST", "/api/v1/leases",
                 {{"tenantName", ""},
                  {"phoneNumber", "123"},
                  {"unit", "U"},
                  {"monthlyRent", 1.5},
                  {"accountReference", "WAY-TOO-LONG-REF"}},
                 token);
    ASSERT_EQ(r.status, 400);
    std::set<std::string> fields;
    for (const auto& d : r.body["error"]["details"]) fields.insert(d["field"].get<std::string>());
    EXPECT_EQ(fields, (std::set<std::string>{"tenantName", "phoneNumber", "monthlyRent", "accountReference"}));
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 0u);
}

TEST_F(Validation, RolesAreEnforced) {
    auto viewer = Login("viewer@a.test");
    auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(10), viewer);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body["error"]["code"], "FORBIDDEN");
    EXPECT_EQ(Api("POST", "/api/v1/leases", {{"tenantName", "x"}}, viewer).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, viewer).status, 200);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush"), 0);
    EXPECT_GE(gateway_->store().CountAudit("stk.initiate", "denied").value_or(0), 1);
}

}  // namespace
}  // namespace haven::testing
