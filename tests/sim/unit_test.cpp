// Pure parts of the simulator: ids, wire helpers, ledger, rules, credential.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "sim/credential.hpp"
#include "sim/ids.hpp"
#include "sim/ledger.hpp"
#include "sim/redact.hpp"
#include "sim/rules.hpp"
#include "sim/wire.hpp"

namespace haven::sim {
namespace {

TimePoint At(const char* eat) { return *ParseEatTimestamp(eat); }

TEST(SimIds, ReceiptPrefixMatchesRealReceipts) {
    EXPECT_EQ(IdGenerator::ReceiptPrefix(At("20191219102115")), "NLJ");
    EXPECT_EQ(IdGenerator::ReceiptPrefix(At("20260601120000")), "UF1");
    EXPECT_EQ(IdGenerator::ReceiptPrefix(At("20250614153012")), "TFE");
    EXPECT_EQ(IdGenerator::ReceiptPrefix(At("20250131235959")), "TAV");
}

TEST(SimIds, FormatsFollowReference) {
    IdGenerator ids(7);
    auto now = At("20250614153013");
    EXPECT_TRUE(std::regex_match(ids.Receipt(now), std::regex("TFE[A-Z0-9]{7}")));
    EXPECT_EQ(ids.ZeroReceipt(now), "TFE0000000");
    EXPECT_TRUE(std::regex_match(ids.CheckoutRequestId(now, "254708374149"),
                                 std::regex("ws_CO_14062025153013[0-9]{3}708374149")));
    EXPECT_TRUE(std::regex_match(ids.ConversationId(now), std::regex("AG_20250614_[0-9a-f]{20}")));
    EXPECT_TRUE(
        std::regex_match(ids.RequestStyleId(), std::regex("[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[0-9]{7}")));
    EXPECT_TRUE(std::regex_match(ids.AccessToken(), std::regex("[A-Za-z0-9]{28}")));
}

TEST(SimIds, SameSeedSameIds) {
    IdGenerator a(99);
    IdGenerator b(99);
    EXPECT_EQ(a.RequestStyleId(), b.RequestStyleId());
    EXPECT_NE(a.RequestStyleId(), a.RequestStyleId());
}

TEST(SimWire, FieldTextIsLenient) {
    auto body = nlohmann::json::parse(R"({"a":1,"b":" 174379 ","c":1.5,"d":null,"e":true,"f":10.0})");
    EXPECT_EQ(FieldText(body, "a"), "1");
    EXPECT_EQ(FieldText(body, "b"), "174379");
    EXPECT_EQ(FieldText(body, "c"), "1.50");
    EXPECT_EQ(FieldText(body, "d"), std::nullopt);
    EXPECT_EQ(FieldText(body, "e"), std::nullopt);
    EXPECT_EQ(FieldText(body, "missing"), std::nullopt);
    EXPECT_FALSE(ParseWholeAmount(*FieldText(body, "f")));
}

TEST(SimWire, AmountsPhonesUrls) {
    EXPECT_EQ(ParseWholeAmount("10"), 10);
    EXPECT_FALSE(ParseWholeAmount("0"));
    EXPECT_FALSE(ParseWholeAmount("-1"));
    EXPECT_FALSE(ParseWholeAmount("1.5"));
    EXPECT_TRUE(IsMsisdn("254708374149"));
    EXPECT_TRUE(IsMsisdn("254110000000"));
    EXPECT_FALSE(IsMsisdn("0708374149"));
    EXPECT_FALSE(IsMsisdn("+254708374149"));
    EXPECT_TRUE(IsHttpUrl("https://example.com/cb"));
    EXPECT_TRUE(IsHttpUrl("http://127.0.0.1:8080/cb"));
    EXPECT_FALSE(IsHttpUrl("example.com/cb"));
    EXPECT_FALSE(IsHttpUrl("https://"));
    EXPECT_TRUE(HasForbiddenUrlKeyword("https://x.com/MPesa/confirm"));
    EXPECT_FALSE(HasForbiddenUrlKeyword("https://x.com/payments/confirm"));
    EXPECT_EQ(NormalizePhone("0708 374 149"), "254708374149");
    EXPECT_EQ(MaskMsisdnC2b("254708374149"), "2547 ***** 149");
}

TEST(SimWire, Sha256OfMsisdnMatchesFixture) {
    EXPECT_EQ(Sha256Hex("254708374149"), "bbff37cea44ac0b2d964ee0dfb8d2df8513dc7ba1b36129a929fc3fbd6dd4af4");
}

TEST(SimWire, TimestampsAreEat) {
    auto t = ParseEatTimestamp("20250614153012");
    ASSERT_TRUE(t);
    EXPECT_EQ(EatNumber(*t), 20250614153012);
    EXPECT_EQ(FormatEat(*t, "%d.%m.%Y %H:%M:%S"), "14.06.2025 15:30:12");
    EXPECT_FALSE(ParseEatTimestamp("20250231120000"));
    EXPECT_FALSE(ParseEatTimestamp("2025061415301"));
    EXPECT_FALSE(ParseEatTimestamp("2025-06-14 15:30"));
}

TEST(SimWire, Base64RoundTripAndFixturePassword) {
    EXPECT_EQ(Base64Decode(Base64Encode("hello!")), "hello!");
    EXPECT_FALSE(Base64Decode("not base64!"));
    EXPECT_EQ(Base64Encode("174379bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c91920250614153012"),
              "MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMjUwNjE0"
              "MTUzMDEy");
    EXPECT_EQ(FormatCents(-154000), "-1540.00");
    EXPECT_EQ(FormatCents(5), "0.05");
}

TEST(SimLedger, BalancesMoveAndReceiptsAreFound) {
    Ledger ledger;
    LedgerEntry in;
    in.kind = EntryKind::kStk;
    in.receipt = "TFE4K7PQ2Z";
    in.amount = 100;
    ledger.Receive(in);
    EXPECT_EQ(ledger.Accounts().utility_cents, 22803700 + 10000);
    EXPECT_TRUE(ledger.CanPay(1000, 2240));
    LedgerEntry out;
    out.kind = EntryKind::kB2c;
    out.receipt = "TFE8L2M9QX";
    out.amount = 10;
    out.charge_cents = 2240;
    out.originator_conversation_id = "orig-1";
    ledger.Pay(out);
    EXPECT_EQ(ledger.Accounts().utility_cents, 22803700 + 10000 - 1000 - 2240);
    EXPECT_EQ(ledger.Accounts().charges_paid_cents, -154000 - 2240);
    ASSERT_NE(ledger.FindByConversationId("orig-1"), nullptr);
    LedgerEntry rev;
    rev.kind = EntryKind::kReversal;
    rev.receipt = "TFE9R3W5NB";
    rev.amount = 100;
    ledger.Reverse("TFE4K7PQ2Z", rev);
    EXPECT_TRUE(ledger.FindByReceipt("TFE4K7PQ2Z")->reversed);
    EXPECT_EQ(ledger.FindByReceipt("TFE9R3W5NB")->original_receipt, "TFE4K7PQ2Z");
    EXPECT_EQ(ledger.AccountBalanceString().substr(0, 46), "Working Account|KES|700000.00|700000.00|0.00|0");
    EXPECT_NE(ledger.AccountBalanceString().find("&Charges Paid Account|KES|-1562.40|"), std::string::npos);
}

TEST(SimRules, ParseMatchAndTimes) {
    auto rules = ParseRules(nlohmann::json::parse(R"({"rules":[
        {"api":"stkpush","when":{"amount":"1032"},"then":{"resultCode":"1032","delayMs":5}},
        {"api":"stkpush","when":{"phone":"0711000001"},"then":{"callbacks":0}, "times":1},
        {"api":"any","then":{"httpStatus":503}}]})"));
    ASSERT_TRUE(rules) << rules.error().message;
    RuleSet set;
    set.Add(std::move(*rules), true);
    RuleSubject by_amount{1032, "254708374149", "A"};
    auto m = set.Match("stkpush", by_amount);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->result_code, "1032");
    EXPECT_EQ(m->delay_ms, 5);
    RuleSubject by_phone{5, "254711000001", std::nullopt};
    ASSERT_TRUE(set.Match("stkpush", by_phone));
    EXPECT_EQ(set.Match("stkpush", by_phone)->http_status, 503);  // the times:1 rule is used up
    EXPECT_EQ(set.Match("b2c", {})->http_status, 503);
    EXPECT_EQ(set.ToJson()[1]["hits"], 1);
}

TEST(SimRules, RejectsBadRules) {
    EXPECT_FALSE(ParseRules(nlohmann::json::parse(R"({"rules":[{"api":"nope"}]})")));
    EXPECT_FALSE(ParseRules(nlohmann::json::parse(R"({"rules":[{"when":{"amount":1.5}}]})")));
    EXPECT_FALSE(ParseRules(nlohmann::json::parse(R"({"rules":[{"then":{"callbacks":-1}}]})")));
    EXPECT_FALSE(ParseRules(nlohmann::json::parse(R"({"rules":{}})")));
    EXPECT_TRUE(ParseRules(nlohmann::json::parse(R"([{"api":"b2c","then":{"queueTimeout":true}}])")));
}

TEST(SimCredential, EncryptDecryptAndForeignCertificate) {
    auto key = CredentialKey::Generate();
    ASSERT_TRUE(key) << key.error().message;
    auto credential = CredentialKey::Encrypt(key->CertificatePem(), "Safaricom999!*!");
    ASSERT_TRUE(credential);
    EXPECT_EQ(credential->size(), 344u);
    EXPECT_EQ(key->Decrypt(*credential), "Safaricom999!*!");
    // Encrypted under Safaricom's sandbox certificate: well-formed, but not ours.
    std::ifstream in(std::string(HAVEN_FIXTURES_DIR) + "/daraja/sandbox-certificate.apicrypt.pem");
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto foreign = CredentialKey::Encrypt(pem, "Safaricom999!*!");
    ASSERT_TRUE(foreign);
    auto decrypted = key->Decrypt(*foreign);
    ASSERT_FALSE(decrypted);
    EXPECT_EQ(decrypted.error().code, core::ErrorCode::kUnprocessable);
    EXPECT_EQ(key->Decrypt("abc").error().code, core::ErrorCode::kValidation);
}

TEST(Redact, UrlsKeepWhereTheyGoButNotTheirSecrets) {
    EXPECT_EQ(MaskUrl("https://gw.example:8443/api/v1/mpesa/callback?secret=abc123"),
              "https://gw.example:8443/api/v1/mpesa/callback?secret=****");
    EXPECT_EQ(MaskUrl("https://gw.example/hooks/daraja/9fK2c81xQ0aa/stk?a=1&b=2"),
              "https://gw.example/hooks/daraja/****/stk?a=****&b=****");
    EXPECT_EQ(MaskUrl("https://user:pw@gw.example/result"), "https://****@gw.example/result");
    EXPECT_EQ(MaskUrl("/mpesa/b2c/v3/paymentrequest"), "/mpesa/b2c/v3/paymentrequest");
    EXPECT_EQ(MaskUrl("/oauth/v1/generate?grant_type=client_credentials"),
              "/oauth/v1/generate?grant_type=client_credentials");
    EXPECT_EQ(MaskUrl("http://127.0.0.1:9/x/abcdefghijklmnopqrstuvwxyz"), "http://127.0.0.1:9/x/****");
    EXPECT_EQ(MaskAuthorization("Bearer eyJhbGciOi"), "Bearer ****");
    EXPECT_EQ(MaskAuthorization("opaque"), "****");
    auto body = MaskBody(nlohmann::json{{"Password", "MTc0Mzc5YmZi"},
                                        {"ConfirmationURL", "https://h/c?k=v"},
                                        {"nested", {{"ResultURL", "https://h/r?secret=s"}}},
                                        {"Amount", 1}});
    EXPECT_EQ(body["Password"], "MTc0****");
    EXPECT_EQ(body["ConfirmationURL"], "https://h/c?k=****");
    EXPECT_EQ(body["nested"]["ResultURL"], "https://h/r?secret=****");
    EXPECT_EQ(body["Amount"], 1);
    EXPECT_EQ(ScrubUrlSecrets("no route for /hooks/9fK2c81xQ0aa/stk?secret=abcd1",
                              "http://h/hooks/9fK2c81xQ0aa/stk?secret=abcd1"),
              "no route for /hooks/****/stk?secret=****");
}

}  // namespace
}  // namespace haven::sim
