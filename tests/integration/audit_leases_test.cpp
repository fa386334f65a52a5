// Leases edited and ended, and the audit log read back: a real gateway (simulator mode) over loopback.
// The database side of "append-only" (triggers refuse UPDATE/DELETE) is proven on both backends in
// tests/storage/store_contract_test.cpp (TheDatabaseRefusesToChangeOrDeleteAuditRows).
#include <set>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class AuditLeases : public GatewayTest {
  protected:
    /// The raw answer (CSV is not JSON).
    std::pair<int, std::string> Raw(const std::string& path, const std::string& token, net::Headers headers = {}) {
        net::ClientRequest req;
        req.method = "GET";
        req.url = gateway_->BaseUrl() + path;
        req.headers = std::move(headers);
        req.headers["Authorization"] = "Bearer " + token;
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value());
        if (!res) return {0, ""};
        auto type = res->headers.find("Content-Type");
        last_content_type_ = type == res->headers.end() ? "" : type->second;
        return {res->status, res->body};
    }

    json History(const std::string& token, int64_t lease_id) {
        auto r = Api("GET", "/api/v1/leases/" + std::to_string(lease_id) + "/history", nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"]["items"];
    }

    std::string last_content_type_;
};

/// RFC 4180 rows (CRLF line ends, quoted cells with doubled quotes).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string cell;
    bool quoted = false;
    bool fresh = true;  // at the start of a cell
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"' && fresh) {
            quoted = true;
            fresh = false;
        } else if (c == ',') {
            rows.back().push_back(cell);
            cell.clear();
            fresh = true;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(cell);
            cell.clear();
            rows.emplace_back();
            fresh = true;
            ++i;
        } else {
            cell += c;
            fresh = false;
        }
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

TEST_F(AuditLeases, AnEditShowsInTheHistoryWithBeforeAndAfterAndNoWholePhoneNumber) {
    auto token = Login("manager@a.test");
    const auto lease = CreateLease(token);
    const int64_t id = lease["id"];
    EXPECT_EQ(lease["status"], "active");
    EXPECT_EQ(lease["email"], nullptr);

    auto edited = Api("PATCH", "/api/v1/leases/" + std::to_string(id),
                      {{"monthlyRent", 16500}, {"phoneNumber", "0722000111"}, {"email", "wanjiku@example.com"}}, token);
    ASSERT_EQ(edited.status, 200) << edited.body.dump();
    EXPECT_EQ(edited.body["data"]["monthlyRent"], 16500);
    EXPECT_EQ(edited.body["data"]["phoneNumber"], "254722000111") << "normalised like a create";
    EXPECT_EQ(edited.body["data"]["email"], "wanjiku@example.com");
    EXPECT_EQ(edited.body["data"]["unit"], "B4") << "fields not sent stay as they are";
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + std::to_string(id), nullptr, token).body["data"]["monthlyRent"], 16500);

    auto history = History(token, id);
    ASSERT_GE(history.size(), 2u) << history.dump();
    const json& update = history[0];
    EXPECT_EQ(update["action"], "lease.update");
    EXPECT_EQ(update["actor"], "manager@a.test");
    EXPECT_EQ(update["target"], "lease:" + std::to_string(id));
    EXPECT_EQ(update["outcome"], "success");
    const json& detail = update["detail"];
    EXPECT_EQ(detail["before"]["monthlyRent"], 15000);
    EXPECT_EQ(detail["after"]["monthlyRent"], 16500);
    EXPECT_EQ(detail["before"]["email"], nullptr);
    EXPECT_EQ(detail["after"]["email"], "w***@example.com") << "the append-only log keeps no e-mail in clear";
    EXPECT_EQ(detail["before"]["phoneNumber"], "2547****4149");
    EXPECT_EQ(detail["after"]["phoneNumber"], "2547****0111");
    EXPECT_FALSE(detail["before"].contains("unit")) << "only changed fields: " << detail.dump();
    EXPECT_EQ(history.dump().find("254722000111"), std::string::npos) << "no whole phone number in the history";
    EXPECT_EQ(history.dump().find("254708374149"), std::string::npos);
    EXPECT_EQ(history.back()["action"], "lease.create");
}

TEST_F(AuditLeases, BadEditsAreRefusedAndChangeNothing) {
    auto token = Login("admin@a.test");
    const int64_t id = CreateLease(token)["id"];
    const std::string path = "/api/v1/leases/" + std::to_string(id);
    for (const json& bad :
         {json{{"externalId", "abc"}}, json{{"monthlyRent", 0}}, json{{"accountReference", "1234567890123"}},
          json{{"phoneNumber", "12345"}}, json{{"email", "not-an-email"}}, json::object(),
          json{{"unit", "C2"}, {"colour", "blue"}}}) {
        auto r = Api("PATCH", path, bad, token);
        EXPECT_EQ(r.status, 400) << bad.dump() << " " << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
    }
    auto viewer = Login("viewer@a.test");
    EXPECT_EQ(Api("PATCH", path, {{"unit", "C2"}}, viewer).status, 403);
    EXPECT_EQ(Api("PATCH", path, {{"unit", "C2"}}, Login("admin@b.test")).status, 404) << "another agency's lease";
    EXPECT_EQ(Api("GET", path, nullptr, token).body["data"]["unit"], "B4");
    for (const auto& row : History(token, id)) {
        if (row["action"] == "lease.update") {
            EXPECT_NE(row["outcome"], "success") << row.dump();
        }
    }
}

TEST_F(AuditLeases, AnEndedLeaseIsKeptButRefusesNewStkPushesAndItsPayLink) {
    auto token = Login("manager@a.test");
    const auto lease = CreateLease(token);
    const int64_t id = lease["id"];
    const std::string link = lease["paymentLink"];
    const std::string pay_token = link.substr(link.find("t=") + 2);
    ASSERT_EQ(Api("GET", "/api/v1/pay/" + pay_token).status, 200);

    EXPECT_EQ(Api("POST", "/api/v1/leases/" + std::to_string(id) + "/end", {{"endDate", "2999-01-01"}, {"reason", "x"}},
                  token)
                  .status,
              400)
        << "an end date in the future";
    EXPECT_EQ(Api("POST", "/api/v1/leases/" + std::to_string(id) + "/end", json::object(), token).status, 400)
        << "a reason is required";
    auto ended = Api("POST", "/api/v1/leases/" + std::to_string(id) + "/end",
                     {{"endDate", "2026-11-30"}, {"reason", "tenant moved out"}}, token);
    ASSERT_EQ(ended.status, 200) << ended.body.dump();
    EXPECT_EQ(ended.body["data"]["status"], "ended");
    EXPECT_EQ(ended.body["data"]["endDate"], "2026-11-30");
    EXPECT_EQ(ended.body["data"]["endReason"], "tenant moved out");
    EXPECT_TRUE(ended.body["data"]["endedAt"].is_string());

    auto again = Api("POST", "/api/v1/leases/" + std::to_string(id) + "/end", {{"reason", "twice"}}, token);
    EXPECT_EQ(again.status, 409) << again.body.dump();

    const int before = SimRequestCount("stkpush");
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(100, id), token);
    EXPECT_EQ(push.status, 409) << push.body.dump();
    EXPECT_NE(push.body["error"]["message"].get<std::string>().find("ended"), std::string::npos);
    auto tenant =
        Api("POST", "/api/v1/pay/" + pay_token + "/stk-push", {{"phoneNumber", "0708374149"}, {"amount", 100}});
    EXPECT_EQ(tenant.status, 409) << tenant.body.dump();
    EXPECT_EQ(Api("GET", "/api/v1/pay/" + pay_token).status, 409);
    EXPECT_EQ(SimRequestCount("stkpush"), before) << "nothing reached M-Pesa";

    // Kept and shown as ended; the lists filter by status.
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + std::to_string(id), nullptr, token).body["data"]["status"], "ended");
    EXPECT_EQ(Api("GET", "/api/v1/leases?status=ended", nullptr, token).body["data"].size(), 1u);
    EXPECT_EQ(Api("GET", "/api/v1/leases?status=active", nullptr, token).body["data"].size(), 0u);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 1u);
    EXPECT_EQ(Api("GET", "/api/v1/leases?status=gone", nullptr, token).status, 400);
    auto history = History(token, id);
    ASSERT_GE(history.size(), 3u) << history.dump();
    EXPECT_EQ(history[0]["action"], "lease.end");
    EXPECT_EQ(history[0]["outcome"], "error: CONFLICT") << "the refused second end is recorded too";
    EXPECT_EQ(history[0]["detail"], nullptr);
    EXPECT_EQ(history[1]["action"], "lease.end");
    EXPECT_EQ(history[1]["outcome"], "success");
    EXPECT_EQ(history[1]["detail"]["before"]["status"], "active");
    EXPECT_EQ(history[1]["detail"]["after"]["status"], "ended");
    EXPECT_EQ(history[1]["detail"]["after"]["endReason"], "tenant moved out");
}

TEST_F(AuditLeases, HavensSyncIsInTheHistoryAndNeverReopensAnEndedLease) {
    auto token = Login("manager@a.test");
    const std::string path = "/api/v1/leases/by-external/6571b2c9e4b0a1f2c3d4e5f6";
    json fields = {{"tenantName", "Wanjiku Kamau"},
                   {"phoneNumber", "0708374149"},
                   {"unit", "B4"},
                   {"monthlyRent", 15000},
                   {"accountReference", "B4"}};
    auto created = Api("PUT", path, fields, token);
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const int64_t id = created.body["data"]["id"];
    ASSERT_EQ(Api("POST", "/api/v1/leases/" + std::to_string(id) + "/end", {{"reason", "moved out"}}, token).status,
              200);

    fields["monthlyRent"] = 17000;
    auto synced = Api("PUT", path, fields, token);
    ASSERT_EQ(synced.status, 200) << synced.body.dump();
    EXPECT_EQ(synced.body["data"]["monthlyRent"], 17000);
    EXPECT_EQ(synced.body["data"]["status"], "ended") << "a sync does not reopen an ended lease";

    auto history = History(token, id);
    ASSERT_EQ(history.size(), 3u) << history.dump();
    EXPECT_EQ(history[0]["action"], "lease.sync");
    EXPECT_EQ(history[0]["detail"]["before"], json({{"monthlyRent", 15000}}));
    EXPECT_EQ(history[0]["detail"]["after"], json({{"monthlyRent", 17000}}));
    EXPECT_EQ(history[1]["action"], "lease.end");
    EXPECT_EQ(history[2]["action"], "lease.sync");
    EXPECT_EQ(history[2]["detail"], nullptr) << "the first sync created it";
}

TEST_F(AuditLeases, TheLogFiltersAndPagesForAdminsOnly) {
    auto admin = Login("admin@a.test");
    auto manager = Login("manager@a.test");
    const int64_t id = CreateLease(manager)["id"];
    const std::string path = "/api/v1/leases/" + std::to_string(id);
    for (int rent = 15001; rent <= 15004; ++rent)
        ASSERT_EQ(Api("PATCH", path, {{"monthlyRent", rent}}, admin).status, 200);
    EXPECT_EQ(Api("PATCH", path, {{"unit", "C2"}}, Login("viewer@a.test")).status, 403);
    CreateLease(Login("admin@b.test"));  // another agency's rows stay out

    EXPECT_EQ(Api("GET", "/api/v1/audit", nullptr, manager).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/audit", nullptr, Login("viewer@a.test")).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/audit").status, 401);

    auto updates = Api("GET", "/api/v1/audit?action=lease.update&outcome=success", nullptr, admin);
    ASSERT_EQ(updates.status, 200) << updates.body.dump();
    ASSERT_EQ(updates.body["data"]["items"].size(), 4u) << updates.body.dump();
    EXPECT_EQ(updates.body["data"]["items"][0]["detail"]["after"]["monthlyRent"], 15004) << "newest first";
    EXPECT_TRUE(updates.body["data"]["items"][0]["at"].get<std::string>().ends_with(".000Z"));
    EXPECT_EQ(Api("GET", "/api/v1/audit?action=lease.", nullptr, admin).body["data"]["items"].size(), 6u)
        << "create + 4 updates + the denied one";
    EXPECT_EQ(Api("GET", "/api/v1/audit?outcome=denied", nullptr, admin).body["data"]["items"].size(), 1u);
    EXPECT_EQ(
        Api("GET", "/api/v1/audit?actor=manager%40a.test&action=lease.", nullptr, admin).body["data"]["items"].size(),
        1u);
    EXPECT_EQ(
        Api("GET", "/api/v1/audit?target=lease%3A" + std::to_string(id), nullptr, admin).body["data"]["items"].size(),
        6u);
    EXPECT_EQ(Api("GET", "/api/v1/audit?from=2200-01-01", nullptr, admin).body["data"]["items"].size(), 0u);
    EXPECT_EQ(Api("GET", "/api/v1/audit?to=2000-01-01T00:00:00Z", nullptr, admin).body["data"]["items"].size(), 0u);
    EXPECT_EQ(
        Api("GET", "/api/v1/audit?from=2000-01-01&action=lease.update", nullptr, admin).body["data"]["items"].size(),
        5u);
    EXPECT_EQ(Api("GET", "/api/v1/audit?from=yesterday", nullptr, admin).status, 400);
    EXPECT_EQ(Api("GET", "/api/v1/audit?limit=201", nullptr, admin).status, 400);

    // Cursor paging walks every row once, newest first.
    std::vector<int64_t> seen;
    std::string cursor;
    for (int pages = 0; pages < 20; ++pages) {
        auto page = Api("GET", "/api/v1/audit?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), nullptr, admin);
        ASSERT_EQ(page.status, 200) << page.body.dump();
        for (const auto& item : page.body["data"]["items"]) seen.push_back(item["id"]);
        if (page.body["data"]["nextCursor"].is_null()) break;
        cursor = page.body["data"]["nextCursor"];
    }
    auto all = Api("GET", "/api/v1/audit?limit=200", nullptr, admin).body["data"]["items"];
    ASSERT_EQ(seen.size(), all.size());
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], all[i]["id"]);
    EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), seen.size());
}

TEST_F(AuditLeases, CsvExportQuotesCellsAndNeutralisesFormulas) {
    AddUser("=sum(1,2)@a.test", core::Role::kAdmin, "Agency A");
    auto admin = Login("=sum(1,2)@a.test");
    const int64_t id = CreateLease(admin)["id"];
    ASSERT_EQ(Api("PATCH", "/api/v1/leases/" + std::to_string(id), {{"tenantName", "Wanjiku \"Shiku\", Kamau"}}, admin,
                  {{"Request-Id", "-risky_request"}})
                  .status,
              200);

    auto [status, csv] = Raw("/api/v1/audit?format=csv&action=lease.", admin);
    ASSERT_EQ(status, 200) << csv;
    EXPECT_EQ(last_content_type_.rfind("text/csv", 0), 0u) << last_content_type_;
    auto rows = ParseCsv(csv);
    ASSERT_EQ(rows.size(), 3u) << csv;  // header, update, create
    EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "at", "actor", "actorUserId", "action", "target", "outcome",
                                                 "requestId", "detail"}));
    for (const auto& row : rows) ASSERT_EQ(row.size(), 9u) << csv;
    const auto& update = rows[1];
    EXPECT_EQ(update[2], "'=sum(1,2)@a.test") << "a formula-like cell starts with an apostrophe";
    EXPECT_EQ(update[4], "lease.update");
    EXPECT_EQ(update[7], "'-risky_request");
    auto detail = json::parse(update[8], nullptr, false);
    ASSERT_TRUE(detail.is_object()) << update[8];
    EXPECT_EQ(detail["after"]["tenantName"], "W. \". K.") << "the name is masked; quotes and commas survive quoting";
    EXPECT_NE(csv.find("\"'=sum(1,2)@a.test\""), std::string::npos) << "a cell with a comma is quoted";

    // Accept: text/csv asks for the same export; viewers and managers get none.
    auto [status2, csv2] = Raw("/api/v1/audit?action=lease.", admin, {{"Accept", "text/csv"}});
    EXPECT_EQ(status2, 200);
    EXPECT_EQ(ParseCsv(csv2).size(), 3u);
    EXPECT_EQ(Raw("/api/v1/audit?format=csv", Login("manager@a.test")).first, 403);
    EXPECT_EQ(Raw("/api/v1/audit?format=csv", Login("viewer@a.test")).first, 403);
}

}  // namespace
}  // namespace haven::testing
