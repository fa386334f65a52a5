// Each agency its own paybill (issue 12), over loopback against the built-in simulator: agency B's pushes go out
// with B's shortcode, password and token while A's still use the global account; secrets are sealed in the
// database and never answered; only admins see or change the account.
#include <sqlite3.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kSandboxPasskey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
constexpr const char* kKeyB = "b-consumer-key-7781";
constexpr const char* kSecretB = "b-consumer-secret-zq93";
constexpr const char* kInitiatorPasswordB = "Safaricom999!*!";

class AccountsTest : public GatewayTest {
  protected:
    /// B's own account as its admin sets it. The simulator checks the password against its one passkey (the
    /// sandbox one), and takes any well-formed shortcode and any consumer key.
    json AccountB(const std::string& shortcode = "600111") {
        return {{"shortcode", shortcode},     {"consumerKey", kKeyB},       {"consumerSecret", kSecretB},
                {"passkey", kSandboxPasskey}, {"initiatorName", "testapi"}, {"initiatorSecret", kInitiatorPasswordB}};
    }

    /// A push from its own phone: the simulator refuses a second prompt to a phone whose first is still open.
    json Push(int64_t amount, const std::string& phone) {
        json b = StkBody(amount);
        b["phoneNumber"] = phone;
        return b;
    }

    /// The STK pushes the simulator received, oldest first.
    std::vector<json> SimPushes() {
        std::vector<json> out;
        const json log = Sim("GET", "/sim/v1/requests").body;
        for (const auto& r : log["requests"]) {
            if (r.value("path", "").find("/mpesa/stkpush/") != std::string::npos) out.push_back(r["body"]);
        }
        return out;
    }

    /// One text column of B's mpesa_accounts row, read from the gateway's SQLite file directly.
    std::string Column(int64_t agency_id, const std::string& column) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open((dir_ / "haven.db").string().c_str(), &db), SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        const std::string sql = "SELECT " + column + " FROM mpesa_accounts WHERE agency_id = ?";
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_bind_int64(st, 1, agency_id);
        std::string out;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }

    int64_t AgencyOf(const std::string& token) {
        auto me = Api("GET", "/api/v1/auth/me", nullptr, token);
        return me.body["data"].value("agencyId", int64_t{0});
    }
};

TEST_F(AccountsTest, AnAgencysPushGoesOutOnItsOwnPaybillWhileOthersUseTheGlobalOne) {
    const std::string admin_a = Login("admin@a.test");
    const std::string admin_b = Login("admin@b.test");
    auto put = Api("PUT", "/api/v1/agency/mpesa-account", AccountB(), admin_b);
    ASSERT_EQ(put.status, 200) << put.body.dump();
    EXPECT_TRUE(put.body["data"]["own"]);

    auto push_b = Api("POST", "/api/v1/mpesa/stk-push", Push(101, "0711000101"), admin_b);
    ASSERT_EQ(push_b.status, 200) << push_b.body.dump();
    auto push_a = Api("POST", "/api/v1/mpesa/stk-push", Push(102, "0711000102"), admin_a);
    ASSERT_EQ(push_a.status, 200) << push_a.body.dump();

    auto pushes = SimPushes();
    ASSERT_EQ(pushes.size(), 2u);
    EXPECT_EQ(pushes[0]["BusinessShortCode"].dump(), "\"600111\"") << pushes[0].dump();
    EXPECT_EQ(pushes[0]["PartyB"].dump(), "\"600111\"");
    // The simulator keeps the first 4 characters of the Password: base64 of the shortcode's first 3 digits.
    EXPECT_EQ(pushes[0]["Password"].get<std::string>().substr(0, 4), "NjAw") << "base64(\"600...\")";
    EXPECT_EQ(pushes[1]["BusinessShortCode"].dump(), "\"174379\"") << pushes[1].dump();
    EXPECT_EQ(pushes[1]["Password"].get<std::string>().substr(0, 4), "MTc0") << "base64(\"174...\")";
    ASSERT_EQ(Api("POST", "/api/v1/mpesa/stk-push", Push(103, "0711000103"), admin_b).status, 200);
    EXPECT_EQ(SimPushes().back()["BusinessShortCode"].dump(), "\"600111\"");

    // B's push completes through the simulator's callback like any other.
    auto final_b = WaitFinal(admin_b, push_b.body["data"]["checkoutRequestId"].get<std::string>());
    EXPECT_EQ(final_b["status"], "SUCCESS") << final_b.dump();
}

TEST_F(AccountsTest, BalanceGoesOutOnTheAgencysB2cShortcodeAndInitiator) {
    const std::string admin_b = Login("admin@b.test");
    auto account = AccountB();
    account["b2cShortcode"] = "600222";
    ASSERT_EQ(Api("PUT", "/api/v1/agency/mpesa-account", account, admin_b).status, 200);
    auto balance = Api("POST", "/api/v1/mpesa/balance", json::object(), admin_b);
    ASSERT_EQ(balance.status, 200) << balance.body.dump();
    json sent;
    auto log = Sim("GET", "/sim/v1/requests").body;
    for (const auto& r : log["requests"]) {
        if (r.value("path", "").find("accountbalance") != std::string::npos) sent = r["body"];
    }
    EXPECT_EQ(sent["PartyA"].dump(), "\"600222\"") << log.dump().substr(0, 3000);
    EXPECT_EQ(sent["Initiator"], "testapi");
}

TEST_F(AccountsTest, TheAnswerAndTheAuditNeverCarryASecret) {
    const std::string admin_b = Login("admin@b.test");
    auto put = Api("PUT", "/api/v1/agency/mpesa-account", AccountB(), admin_b);
    ASSERT_EQ(put.status, 200) << put.body.dump();
    auto got = Api("GET", "/api/v1/agency/mpesa-account", nullptr, admin_b);
    ASSERT_EQ(got.status, 200);
    for (const auto& answer : {put.body.dump(), got.body.dump()}) {
        for (const char* secret : {kKeyB, kSecretB, kSandboxPasskey, kInitiatorPasswordB}) {
            EXPECT_EQ(answer.find(secret), std::string::npos) << secret << " in " << answer;
        }
    }
    const json& data = got.body["data"];
    EXPECT_EQ(data["shortcode"], "600111");
    EXPECT_EQ(data["consumerKey"]["set"], true);
    EXPECT_EQ(data["consumerKey"]["last4"], "7781");
    EXPECT_EQ(data["passkey"]["last4"], "c919");
    EXPECT_EQ(data["consumerSecret"], json({{"set", true}}));
    EXPECT_EQ(data["initiatorSecret"], json({{"set", true}}));

    auto audit = Api("GET", "/api/v1/audit?action=mpesa_account.update", nullptr, admin_b);
    ASSERT_EQ(audit.status, 200) << audit.body.dump();
    ASSERT_EQ(audit.body["data"]["items"].size(), 1u) << audit.body.dump();
    const std::string detail = audit.body["data"]["items"][0]["detail"].dump();
    EXPECT_NE(detail.find("600111"), std::string::npos) << detail;
    EXPECT_NE(detail.find("consumerSecret"), std::string::npos) << "names what changed: " << detail;
    for (const char* secret : {kKeyB, kSecretB, kSandboxPasskey, kInitiatorPasswordB}) {
        EXPECT_EQ(detail.find(secret), std::string::npos) << secret;
    }
}

TEST_F(AccountsTest, SecretsAreSealedInTheDatabase) {
    const std::string admin_b = Login("admin@b.test");
    ASSERT_EQ(Api("PUT", "/api/v1/agency/mpesa-account", AccountB(), admin_b).status, 200);
    const int64_t b = AgencyOf(admin_b);
    ASSERT_GT(b, 0);
    EXPECT_EQ(Column(b, "shortcode"), "600111");
    const std::pair<const char*, const char*> sealed[] = {{"consumer_key_sealed", kKeyB},
                                                          {"consumer_secret_sealed", kSecretB},
                                                          {"passkey_sealed", kSandboxPasskey},
                                                          {"initiator_secret_sealed", kInitiatorPasswordB}};
    for (const auto& [column, secret] : sealed) {
        const std::string stored = Column(b, column);
        EXPECT_FALSE(stored.empty()) << column;
        EXPECT_EQ(stored.find(secret), std::string::npos) << column << " holds the secret in clear";
    }
}

TEST_F(AccountsTest, OnlyAdminsSeeOrChangeTheAccount) {
    for (const char* who : {"manager@a.test", "viewer@a.test"}) {
        const std::string token = Login(who);
        EXPECT_EQ(Api("GET", "/api/v1/agency/mpesa-account", nullptr, token).status, 403) << who;
        EXPECT_EQ(Api("PUT", "/api/v1/agency/mpesa-account", AccountB(), token).status, 403) << who;
        EXPECT_EQ(Api("DELETE", "/api/v1/agency/mpesa-account", nullptr, token).status, 403) << who;
    }
    EXPECT_EQ(Api("GET", "/api/v1/agency/mpesa-account").status, 401);
    auto global = Api("GET", "/api/v1/agency/mpesa-account", nullptr, Login("admin@a.test"));
    ASSERT_EQ(global.status, 200);
    EXPECT_EQ(global.body["data"]["own"], false);
    EXPECT_EQ(global.body["data"]["shortcode"], "174379");
    EXPECT_EQ(global.body["data"]["canStore"], true) << "simulator mode keeps a master key file";
}

TEST_F(AccountsTest, BadValuesAreListedAndAFirstAccountNeedsItsSecrets) {
    const std::string admin_b = Login("admin@b.test");
    auto bad = Api("PUT", "/api/v1/agency/mpesa-account",
                   {{"shortcode", "12"}, {"tillNumber", "abc"}, {"transactionType", "Other"}}, admin_b);
    ASSERT_EQ(bad.status, 400) << bad.body.dump();
    EXPECT_EQ(bad.body["error"]["code"], "VALIDATION_ERROR");
    std::set<std::string> fields;
    for (const auto& d : bad.body["error"]["details"]) fields.insert(d["field"].get<std::string>());
    for (const char* f : {"shortcode", "tillNumber", "transactionType", "consumerKey", "consumerSecret", "passkey"}) {
        EXPECT_TRUE(fields.count(f)) << f << " in " << bad.body.dump();
    }
    auto unknown = Api("PUT", "/api/v1/agency/mpesa-account", {{"shortcode", "600111"}, {"password", "x"}}, admin_b);
    EXPECT_EQ(unknown.status, 400);
    EXPECT_FALSE(Api("GET", "/api/v1/agency/mpesa-account", nullptr, admin_b).body["data"]["own"]);
}

TEST_F(AccountsTest, AShortcodeAnotherAgencyUsesIsAConflict) {
    ASSERT_EQ(Api("PUT", "/api/v1/agency/mpesa-account", AccountB("600333"), Login("admin@b.test")).status, 200);
    auto taken = Api("PUT", "/api/v1/agency/mpesa-account", AccountB("600333"), Login("admin@a.test"));
    EXPECT_EQ(taken.status, 409) << taken.body.dump();
}

TEST_F(AccountsTest, APutWithoutSecretsKeepsThemAndDeleteGoesBackToTheGlobalAccount) {
    const std::string admin_b = Login("admin@b.test");
    ASSERT_EQ(Api("PUT", "/api/v1/agency/mpesa-account", AccountB(), admin_b).status, 200);
    auto moved =
        Api("PUT", "/api/v1/agency/mpesa-account", {{"shortcode", "600444"}, {"initiatorName", "testapi"}}, admin_b);
    ASSERT_EQ(moved.status, 200) << moved.body.dump();
    EXPECT_EQ(moved.body["data"]["consumerKey"]["last4"], "7781");
    EXPECT_EQ(moved.body["data"]["initiatorSecret"]["set"], true);
    ASSERT_EQ(Api("POST", "/api/v1/mpesa/stk-push", Push(104, "0711000104"), admin_b).status, 200);
    ASSERT_EQ(SimPushes().back()["BusinessShortCode"].dump(), "\"600444\"") << "the client was rebuilt";

    auto removed = Api("DELETE", "/api/v1/agency/mpesa-account", nullptr, admin_b);
    ASSERT_EQ(removed.status, 200) << removed.body.dump();
    EXPECT_EQ(removed.body["data"]["own"], false);
    ASSERT_EQ(Api("POST", "/api/v1/mpesa/stk-push", Push(105, "0711000105"), admin_b).status, 200);
    EXPECT_EQ(SimPushes().back()["BusinessShortCode"].dump(), "\"174379\"");
}

}  // namespace
}  // namespace haven::testing
