// Reconciliation end to end: STK pushes through the real gateway and simulator over loopback, two of whose callbacks
// the simulator drops; the simulator's statement, imported through the API, reconciles to exactly those two.
#include <gtest/gtest.h>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class ReconciliationTest : public GatewayTest {
  protected:
    /// Pushes `amount` for the lease and waits until the simulator has settled it in its ledger (whether or not the
    /// callback is delivered). Returns the push's id.
    int64_t PushAndSettle(const std::string& token, int64_t amount, int64_t lease_id) {
        const size_t before = LedgerSize();
        auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount, lease_id), token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        EXPECT_TRUE(Eventually([&] { return LedgerSize() > before; })) << "the simulator never settled " << amount;
        return r.body["data"].value("transactionId", int64_t{0});
    }

    size_t LedgerSize() {
        auto r = Sim("GET", "/sim/v1/ledger");
        return r.body.is_object() && r.body.contains("entries") ? r.body["entries"].size() : 0;
    }

    std::string Statement() {
        net::ClientRequest req;
        req.method = "GET";
        req.url = gateway_->SimulatorUrl() + "/sim/v1/statement.csv";
        auto res = client_->Send(req);
        EXPECT_TRUE(res && res->status == 200);
        return res ? res->body : "";
    }

    Reply Upload(const std::string& csv, const std::string& token, const std::string& type = "text/csv") {
        return Call("POST", gateway_->BaseUrl() + "/api/v1/reconciliations", csv,
                    {{"Content-Type", type}, {"Authorization", "Bearer " + token}});
    }

    json Report(int64_t id, const std::string& token) {
        auto r = Api("GET", "/api/v1/reconciliations/" + std::to_string(id), nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"];
    }
};

TEST_F(ReconciliationTest, AStatementWithTwoDroppedCallbacksReconcilesToExactlyThoseTwo) {
    const std::string token = Login("manager@a.test");
    const int64_t lease = CreateLease(token)["id"].get<int64_t>();
    SimRule(1002, {{"callbacks", 0}});
    SimRule(1004, {{"callbacks", 0}});
    // Each delivered callback is in before the next push, so every SUCCESS of ours lies inside the statement's period.
    const auto succeeded = [&](int64_t id) {
        EXPECT_TRUE(Eventually([&] {
            auto r = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(id), nullptr, token);
            return r.status == 200 && r.body["data"].value("status", "") == "SUCCESS";
        })) << id;
    };
    succeeded(PushAndSettle(token, 1001, lease));
    const int64_t dropped_reviewed = PushAndSettle(token, 1002, lease);
    succeeded(PushAndSettle(token, 1003, lease));
    const int64_t dropped_plain = PushAndSettle(token, 1004, lease);
    // The reconciler would put a push whose outcome never arrived up for review; here one of the two is.
    auto agency = gateway_->store().FindUserByEmail("manager@a.test");
    ASSERT_TRUE(agency);
    ASSERT_TRUE(gateway_->store().OpenReview({.agency_id = agency->agency_id,
                                              .transaction_id = dropped_reviewed,
                                              .reason_code = "unsettled",
                                              .reason = "M-Pesa has not settled this request"}));

    const std::string csv = Statement();
    auto first = Upload(csv, token);
    ASSERT_EQ(first.status, 201) << first.body.dump();
    const json imported = first.body["data"]["reconciliation"];
    EXPECT_TRUE(first.body["data"]["created"].get<bool>());
    EXPECT_EQ(imported["findingCount"], 2);
    const json report = Report(imported["id"].get<int64_t>(), token);
    ASSERT_EQ(report["findings"].size(), 2u) << report.dump();
    std::map<std::string, json> by_kind;
    for (const auto& f : report["findings"]) by_kind[f["kind"].get<std::string>()] = f;
    ASSERT_TRUE(by_kind.count("settled_review")) << report.dump();
    ASSERT_TRUE(by_kind.count("missing_in_ours")) << report.dump();
    EXPECT_EQ(by_kind["settled_review"]["transactionId"], dropped_reviewed);
    EXPECT_EQ(by_kind["missing_in_ours"]["statement"]["paidIn"], 1004);
    // The settled push is SUCCESS with the statement's receipt and its payment on the lease.
    auto settled = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(dropped_reviewed), nullptr, token);
    EXPECT_EQ(settled.body["data"]["status"], "SUCCESS") << settled.body.dump();
    EXPECT_EQ(settled.body["data"]["mpesaReceiptNumber"], by_kind["settled_review"]["receipt"]);
    auto still = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(dropped_plain), nullptr, token);
    EXPECT_EQ(still.body["data"]["status"], "PENDING");

    // The same file again, as text or as a form upload, changes nothing and answers the first import.
    auto again = Upload(csv, token);
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_FALSE(again.body["data"]["created"].get<bool>());
    EXPECT_EQ(again.body["data"]["reconciliation"]["id"], imported["id"]);
    const std::string form =
        "--hvnB0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
        "Content-Type: text/csv\r\n\r\n" +
        csv + "\r\n--hvnB0undary--\r\n";
    auto as_form = Upload(form, token, "multipart/form-data; boundary=hvnB0undary");
    ASSERT_EQ(as_form.status, 200) << as_form.body.dump();
    EXPECT_EQ(as_form.body["data"]["reconciliation"]["id"], imported["id"]);
    auto list = Api("GET", "/api/v1/reconciliations", nullptr, token);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.body["data"]["items"].size(), 1u);
    EXPECT_EQ(Report(imported["id"].get<int64_t>(), token)["findings"].size(), 2u);

    // The missing payment recorded: a C2B payment on the lease of its A/C No., once.
    const std::string record = "/api/v1/reconciliations/" + std::to_string(imported["id"].get<int64_t>()) +
                               "/findings/" + std::to_string(by_kind["missing_in_ours"]["id"].get<int64_t>()) +
                               "/record";
    auto viewer = Api("POST", record, nullptr, Login("viewer@a.test"));
    EXPECT_EQ(viewer.status, 403);
    auto recorded = Api("POST", record, nullptr, token);
    ASSERT_EQ(recorded.status, 201) << recorded.body.dump();
    EXPECT_EQ(recorded.body["data"]["leaseId"], lease);
    EXPECT_EQ(recorded.body["data"]["finding"]["resolution"], "recorded");
    EXPECT_EQ(Api("POST", record, nullptr, token).status, 409);
    EXPECT_EQ(gateway_->store().CountAudit("reconciliation.import", "success").value_or(0), 3);
    EXPECT_EQ(gateway_->store().CountAudit("reconciliation.record", "success").value_or(0), 1);
    EXPECT_EQ(gateway_->store().CountAudit("reconciliation.settle", "success").value_or(0), 1);

    // Another agency sees none of it.
    auto other = Api("GET", "/api/v1/reconciliations/" + std::to_string(imported["id"].get<int64_t>()), nullptr,
                     Login("admin@b.test"));
    EXPECT_EQ(other.status, 404);
}

TEST_F(ReconciliationTest, AMalformedStatementIs400WithItsLineAndWritesNothing) {
    const std::string token = Login("admin@a.test");
    const std::string csv =
        "Organization Short Code:,174379\n"
        "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
        "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n"
        "UL7K3M9Q2A,2026-12-05 18:42:10,2026-12-05 18:42:09,x,Completed,\"15,000.00\",,,true,Pay Bill Online,,,B4\n"
        "UL7K3M9Q2C,2026-12-05 18:42:10,2026-12-05 18:42:09,x,Completed,\"15,000.50\",,,true,Pay Bill Online,,,B4\n";
    auto r = Upload(csv, token);
    ASSERT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("line 4"), std::string::npos) << r.body.dump();
    auto list = Api("GET", "/api/v1/reconciliations", nullptr, token);
    EXPECT_TRUE(list.body["data"]["items"].empty());
    // Viewers cannot import; a JSON body is not a statement.
    EXPECT_EQ(Upload(csv, Login("viewer@a.test")).status, 403);
    EXPECT_EQ(Upload("{}", token, "application/json").status, 415);
}

// The upload route takes statements far above the server's default body limit (64 KiB); other routes do not.
TEST_F(ReconciliationTest, AStatementLargerThanTheDefaultBodyLimitIsAccepted) {
    const std::string token = Login("admin@a.test");
    std::string csv =
        "Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn,Reason Type,Other Party Info,A/C No.\n";
    for (int i = 0; i < 4000; ++i) {
        csv += "RB" + std::to_string(10000000 + i) +
               ",2026-12-05 18:42:10,Completed,\"1,000.00\",,Pay Bill Online,"
               "2547****149 - JANE DOE,B4\n";
    }
    ASSERT_GT(csv.size(), 200u * 1024);
    auto r = Upload(csv, token);
    ASSERT_EQ(r.status, 201) << r.body.dump();
    EXPECT_EQ(r.body["data"]["reconciliation"]["rowCount"], 4000);
    EXPECT_EQ(r.body["data"]["reconciliation"]["findingCount"], 4000);
    auto big_json = Api("POST", "/api/v1/leases", json{{"tenantName", std::string(200 * 1024, 'x')}}, token);
    EXPECT_EQ(big_json.status, 413);
    // Without credentials the large limit does not apply: the body is refused before it is read, not after.
    auto anonymous = Call("POST", gateway_->BaseUrl() + "/api/v1/reconciliations", csv, {{"Content-Type", "text/csv"}});
    EXPECT_EQ(anonymous.status, 413) << anonymous.body.dump();
}

}  // namespace
}  // namespace haven::testing
