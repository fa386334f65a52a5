// The rent roll over loopback: a real gateway (simulator mode) takes STK payments from the simulator for a few
// leases (full, partial, none, over, and arrears brought from last month) and GET /api/v1/rent-roll shows each
// lease's status and balance, the agency's totals, the filters, and a CSV export with the same rows as the JSON.
// Paybill (C2B) payments are summed alongside STK ones in tests/storage/rent_roll_store_test.cpp.
#include "core/rent_roll.hpp"

#include <map>

#include "gateway_fixture.hpp"
#include "service/lease_changes.hpp"

namespace haven::testing {
namespace {

class RentRoll : public GatewayTest {
  protected:
    json Lease(const std::string& token, const std::string& unit, const std::string& tenant, int64_t rent,
               const json& extra = json::object()) {
        json body = {{"tenantName", tenant},
                     {"phoneNumber", "0708374149"},
                     {"unit", unit},
                     {"monthlyRent", rent},
                     {"accountReference", unit}};
        body.update(extra);
        auto r = Api("POST", "/api/v1/leases", body, token);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["data"];
    }

    /// One STK push for the lease, paid on the simulator; waits for its payment.
    void Pay(const std::string& token, const json& lease, int64_t amount) {
        auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount, lease["id"].get<int64_t>()), token);
        ASSERT_EQ(push.status, 200) << push.body.dump();
        ASSERT_EQ(WaitFinal(token, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");
    }

    /// Five leases of 1,000 a month: paid in full, part paid, not paid, overpaid, and one that started last month
    /// (so it brings last month's rent forward) and paid this month's.
    void Populate(const std::string& token) {
        const core::YearMonth now = *core::MonthOfDay(service::NairobiToday());
        last_month_ = core::ToString(core::PreviousMonth(now));
        leases_["full"] = Lease(token, "A1", "Achieng Full", 1000);
        leases_["part"] = Lease(token, "A2", "Baraka Part", 1000);
        leases_["none"] = Lease(token, "A3", "Chebet None", 1000, {{"dueDay", 1}});
        leases_["over"] = Lease(token, "A4", "Dalmas Over", 1000);
        leases_["arrears"] = Lease(token, "A5", "Esther Arrears", 1000, {{"startDate", last_month_ + "-01"}});
        Pay(token, leases_["full"], 1000);
        Pay(token, leases_["part"], 400);
        Pay(token, leases_["over"], 1500);
        Pay(token, leases_["arrears"], 1000);
    }

    std::map<std::string, json> RowsByUnit(const json& items) {
        std::map<std::string, json> out;
        for (const auto& item : items) out[item["unit"].get<std::string>()] = item;
        return out;
    }

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
        content_type_ = type == res->headers.end() ? "" : type->second;
        return {res->status, res->body};
    }

    std::map<std::string, json> leases_;
    std::string last_month_;
    std::string content_type_;
};

/// Rows of a simple CSV (the rent roll quotes no cell of this test's data).
std::vector<std::vector<std::string>> SplitCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find("\r\n", start);
        if (end == std::string::npos) end = text.size();
        std::vector<std::string> cells;
        std::string line = text.substr(start, end - start);
        size_t from = 0;
        for (;;) {
            size_t comma = line.find(',', from);
            cells.push_back(line.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
            if (comma == std::string::npos) break;
            from = comma + 1;
        }
        rows.push_back(std::move(cells));
        start = end + 2;
    }
    return rows;
}

TEST_F(RentRoll, StkPaymentsShowPaidPartialUnpaidAndOverpaidWithTheirBalances) {
    auto token = Login("manager@a.test");
    Populate(token);
    auto r = Api("GET", "/api/v1/rent-roll", nullptr, token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const json& data = r.body["data"];
    EXPECT_EQ(data["today"], service::NairobiToday());
    EXPECT_EQ(data["month"], service::NairobiToday().substr(0, 7));
    auto rows = RowsByUnit(data["items"]);
    ASSERT_EQ(rows.size(), 5u);

    EXPECT_EQ(rows["A1"]["status"], "paid");
    EXPECT_EQ(rows["A1"]["paid"], 1000);
    EXPECT_EQ(rows["A1"]["balance"], 0);
    EXPECT_EQ(rows["A1"]["late"], false);
    EXPECT_EQ(rows["A1"]["lastPayment"]["amount"], 1000);
    EXPECT_EQ(rows["A1"]["lastPayment"]["source"], "stk");

    EXPECT_EQ(rows["A2"]["status"], "partial");
    EXPECT_EQ(rows["A2"]["paid"], 400);
    EXPECT_EQ(rows["A2"]["balance"], 600);

    EXPECT_EQ(rows["A3"]["status"], "unpaid");
    EXPECT_EQ(rows["A3"]["paid"], 0);
    EXPECT_EQ(rows["A3"]["balance"], 1000);
    EXPECT_TRUE(rows["A3"]["lastPayment"].is_null());
    // Due on the 1st: late from the 2nd on.
    EXPECT_EQ(rows["A3"]["dueDate"], data["month"].get<std::string>() + "-01");
    EXPECT_EQ(rows["A3"]["late"], data["today"].get<std::string>() > rows["A3"]["dueDate"].get<std::string>());

    EXPECT_EQ(rows["A4"]["status"], "overpaid");
    EXPECT_EQ(rows["A4"]["balance"], -500);
    EXPECT_EQ(rows["A4"]["late"], false);

    EXPECT_EQ(rows["A5"]["broughtForward"], 1000);  // last month's rent, never paid
    EXPECT_EQ(rows["A5"]["due"], 1000);
    EXPECT_EQ(rows["A5"]["paid"], 1000);
    EXPECT_EQ(rows["A5"]["balance"], 1000);
    EXPECT_EQ(rows["A5"]["status"], "partial");

    const json& totals = data["totals"];
    EXPECT_EQ(totals["leases"], 5);
    EXPECT_EQ(totals["due"], 5000);
    EXPECT_EQ(totals["paid"], 3900);
    EXPECT_EQ(totals["broughtForward"], 1000);
    EXPECT_EQ(totals["arrears"], 600 + 1000 + 1000);
    EXPECT_EQ(totals["credit"], 500);
    EXPECT_EQ(totals["byStatus"], json({{"paid", 1}, {"partial", 2}, {"unpaid", 1}, {"overpaid", 1}}));

    // Last month owed only the lease that started then; nothing was paid in it.
    auto before = Api("GET", "/api/v1/rent-roll?month=" + last_month_, nullptr, token);
    ASSERT_EQ(before.status, 200) << before.body.dump();
    ASSERT_EQ(before.body["data"]["items"].size(), 1u);
    EXPECT_EQ(before.body["data"]["items"][0]["unit"], "A5");
    EXPECT_EQ(before.body["data"]["items"][0]["status"], "unpaid");
    EXPECT_EQ(before.body["data"]["items"][0]["late"], true);
    EXPECT_TRUE(before.body["data"]["items"][0]["lastPayment"].is_null());
}

TEST_F(RentRoll, CsvExportHasTheSameRowsAsTheJson) {
    auto token = Login("admin@a.test");
    Populate(token);
    auto json_answer = Api("GET", "/api/v1/rent-roll", nullptr, token);
    ASSERT_EQ(json_answer.status, 200);
    const json& items = json_answer.body["data"]["items"];
    for (const auto& [path, headers] : std::vector<std::pair<std::string, net::Headers>>{
             {"/api/v1/rent-roll?format=csv", {}}, {"/api/v1/rent-roll", {{"Accept", "text/csv"}}}}) {
        auto [status, text] = Raw(path, token, headers);
        ASSERT_EQ(status, 200) << text;
        EXPECT_EQ(content_type_.rfind("text/csv", 0), 0u) << content_type_;
        auto rows = SplitCsv(text);
        ASSERT_EQ(rows.size(), items.size() + 1);
        const std::vector<std::string> header = {"leaseId",
                                                 "tenantName",
                                                 "unit",
                                                 "accountReference",
                                                 "externalId",
                                                 "monthlyRent",
                                                 "dueDate",
                                                 "broughtForward",
                                                 "due",
                                                 "paid",
                                                 "balance",
                                                 "status",
                                                 "late",
                                                 "lastPaymentAt",
                                                 "lastPaymentAmount",
                                                 "lastPaymentSource"};
        EXPECT_EQ(rows[0], header);
        for (size_t i = 0; i < items.size(); ++i) {
            const json& item = items[i];
            const auto& row = rows[i + 1];
            ASSERT_EQ(row.size(), header.size());
            EXPECT_EQ(row[0], item["leaseId"].dump());
            EXPECT_EQ(row[1], item["tenantName"]);
            EXPECT_EQ(row[2], item["unit"]);
            EXPECT_EQ(row[3], item["accountReference"]);
            EXPECT_EQ(row[4], "");
            EXPECT_EQ(row[5], item["monthlyRent"].dump());
            EXPECT_EQ(row[6], item["dueDate"]);
            EXPECT_EQ(row[7], item["broughtForward"].dump());
            EXPECT_EQ(row[8], item["due"].dump());
            EXPECT_EQ(row[9], item["paid"].dump());
            EXPECT_EQ(row[10], item["balance"].dump());
            EXPECT_EQ(row[11], item["status"]);
            EXPECT_EQ(row[12], item["late"].dump());
            const json& last = item["lastPayment"];
            EXPECT_EQ(row[13], last.is_null() ? "" : last["paidAt"].get<std::string>());
            EXPECT_EQ(row[14], last.is_null() ? "" : last["amount"].dump());
            EXPECT_EQ(row[15], last.is_null() ? "" : last["source"].get<std::string>());
        }
    }
    // The filters choose the CSV's rows as they do the JSON's.
    auto [status, partial] = Raw("/api/v1/rent-roll?format=csv&status=partial", token);
    ASSERT_EQ(status, 200);
    EXPECT_EQ(SplitCsv(partial).size(), 3u);  // header, A2, A5
}

TEST_F(RentRoll, FiltersChooseRowsButTheTotalsCoverTheMonth) {
    auto token = Login("manager@a.test");
    Populate(token);
    auto partial = Api("GET", "/api/v1/rent-roll?status=partial", nullptr, token);
    ASSERT_EQ(partial.status, 200) << partial.body.dump();
    auto rows = RowsByUnit(partial.body["data"]["items"]);
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_TRUE(rows.count("A2") && rows.count("A5"));
    EXPECT_EQ(partial.body["data"]["totals"]["leases"], 5);
    auto search = Api("GET", "/api/v1/rent-roll?q=chebet", nullptr, token);
    ASSERT_EQ(search.status, 200);
    ASSERT_EQ(search.body["data"]["items"].size(), 1u);
    EXPECT_EQ(search.body["data"]["items"][0]["unit"], "A3");
    auto by_unit = Api("GET", "/api/v1/rent-roll?q=a4", nullptr, token);
    ASSERT_EQ(by_unit.body["data"]["items"].size(), 1u);
    EXPECT_EQ(by_unit.body["data"]["items"][0]["tenantName"], "Dalmas Over");
}

TEST_F(RentRoll, ABadMonthOrFilterIsAValidationError) {
    auto token = Login("manager@a.test");
    for (const char* query : {"month=2026-13", "month=2026-1", "month=november", "status=late", "late=yes"}) {
        auto r = Api("GET", std::string("/api/v1/rent-roll?") + query, nullptr, token);
        EXPECT_EQ(r.status, 400) << query;
        EXPECT_EQ(r.body["success"], false);
        EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR") << r.body.dump();
    }
}

TEST_F(RentRoll, OnlyStaffReadIt) {
    auto viewer = Login("viewer@a.test");
    EXPECT_EQ(Api("GET", "/api/v1/rent-roll", nullptr, viewer).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/rent-roll").status, 401);
}

TEST_F(RentRoll, AnotherAgencysLeasesAreNotOnTheRoll) {
    auto token = Login("manager@a.test");
    Populate(token);
    auto other = Api("GET", "/api/v1/rent-roll", nullptr, Login("admin@b.test"));
    ASSERT_EQ(other.status, 200);
    EXPECT_TRUE(other.body["data"]["items"].empty());
    EXPECT_EQ(other.body["data"]["totals"]["leases"], 0);
}

TEST_F(RentRoll, ALeaseCarriesItsDueDayAndStartDate) {
    auto token = Login("manager@a.test");
    auto lease = Lease(token, "B4", "Wanjiku", 15000, {{"dueDay", 31}, {"startDate", "2026-02-01"}});
    EXPECT_EQ(lease["dueDay"], 31);
    EXPECT_EQ(lease["startDate"], "2026-02-01");
    auto plain = Lease(token, "B5", "Otieno", 15000);
    EXPECT_EQ(plain["dueDay"], 5);
    EXPECT_EQ(plain["startDate"], service::NairobiToday());
    const std::string path = "/api/v1/leases/" + lease["id"].dump();
    auto patched = Api("PATCH", path, {{"dueDay", 10}, {"startDate", "2026-03-01"}}, token);
    ASSERT_EQ(patched.status, 200) << patched.body.dump();
    EXPECT_EQ(patched.body["data"]["dueDay"], 10);
    EXPECT_EQ(patched.body["data"]["startDate"], "2026-03-01");
    auto history = Api("GET", path + "/history", nullptr, token);
    const json& detail = history.body["data"]["items"][0]["detail"];
    EXPECT_EQ(detail["before"]["dueDay"], 31);
    EXPECT_EQ(detail["after"]["dueDay"], 10);
    EXPECT_EQ(detail["after"]["startDate"], "2026-03-01");
    auto bad = Api("PATCH", path, {{"dueDay", 32}, {"startDate", "2026-02-30"}}, token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["error"]["code"], "VALIDATION_ERROR");
    EXPECT_EQ(bad.body["error"]["details"].size(), 2u) << bad.body.dump();
    auto zero = Api("POST", "/api/v1/leases",
                    {{"tenantName", "X"},
                     {"phoneNumber", "0708374149"},
                     {"unit", "C1"},
                     {"monthlyRent", 100},
                     {"accountReference", "C1"},
                     {"dueDay", 0}},
                    token);
    EXPECT_EQ(zero.status, 400);
    // Haven's sync keeps them when it leaves them out.
    auto synced = Api("PUT", "/api/v1/leases/by-external/haven-7",
                      {{"tenantName", "Y"},
                       {"phoneNumber", "0708374149"},
                       {"unit", "C2"},
                       {"monthlyRent", 100},
                       {"accountReference", "C2"},
                       {"dueDay", 20}},
                      token);
    ASSERT_EQ(synced.status, 201) << synced.body.dump();
    EXPECT_EQ(synced.body["data"]["dueDay"], 20);
    auto again = Api("PUT", "/api/v1/leases/by-external/haven-7",
                     {{"tenantName", "Y"},
                      {"phoneNumber", "0708374149"},
                      {"unit", "C2"},
                      {"monthlyRent", 200},
                      {"accountReference", "C2"}},
                     token);
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_EQ(again.body["data"]["dueDay"], 20);
}

}  // namespace
}  // namespace haven::testing
