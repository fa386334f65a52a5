// Reconciliation against the M-Pesa statement, on SQLite always and on PostgreSQL when HAVEN_TEST_POSTGRES_URL is
// set: the import store (once per file), the comparison by receipt, settling a push under review, recording a row.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/time.hpp"
#include "fresh_store.hpp"
#include "service/reconciliation.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;
using std::chrono::system_clock;
using json = nlohmann::json;

const std::string kHeader =
    "Organization Short Code:,600977\n"
    "Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
    "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n";

/// A statement time (Nairobi, "YYYY-MM-DD HH:MM:SS") of t.
std::string Nairobi(system_clock::time_point t) {
    const std::string d = core::DarajaTimestamp(t);  // yyyyMMddHHmmss in EAT
    return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) + " " + d.substr(8, 2) + ":" + d.substr(10, 2) +
           ":" + d.substr(12, 2);
}

std::string PayIn(const std::string& receipt, system_clock::time_point at, int64_t amount,
                  const std::string& party = "2547****149 - JANE DOE", const std::string& account = "B4",
                  const std::string& status = "Completed") {
    return receipt + "," + Nairobi(at) + "," + Nairobi(at - std::chrono::seconds(5)) + ",Pay Bill Online," + status +
           ",\"" + std::to_string(amount) + ".00\",,,true,Pay Bill Online," + party + ",," + account + "\n";
}

class ReconciliationContract : public test::FreshStoreTest {
  protected:
    Result<service::StatementImportResult> Import(const std::string& text, int64_t agency = 0) {
        std::istringstream in(text);
        return service::ImportStatement(
            *store_, in,
            {.agency_id = agency ? agency : agency_a_, .file_name = "statement.csv", .actor = "manager@a.test"});
    }

    std::vector<Store::ReconciliationFinding> Findings(int64_t import_id, int64_t agency = 0) {
        auto f = store_->ListReconciliationFindings({.agency_id = agency ? agency : agency_a_, .import_id = import_id});
        EXPECT_TRUE(f) << f.error().message;
        return f.value_or(std::vector<Store::ReconciliationFinding>{});
    }

    /// A push that M-Pesa settled SUCCESS with `receipt` (its callback arrived).
    core::StkTransaction Settled(const std::string& receipt, int64_t amount, std::optional<int64_t> paid = {}) {
        core::StkTransaction t;
        t.agency_id = agency_a_;
        t.phone_number = "254712345149";
        t.amount = amount;
        t.account_reference = "B4";
        t.transaction_desc = "Rent";
        auto tx = store_->InsertStk(t);
        EXPECT_TRUE(tx) << tx.error().message;
        const std::string checkout = "ws_CO_" + receipt;
        EXPECT_TRUE(store_->SetStkDarajaIds(tx->id, "m-" + receipt, checkout));
        auto applied = store_->ApplyStkOutcome(checkout, {.status = core::TxStatus::kSuccess,
                                                          .mpesa_receipt_number = receipt,
                                                          .paid_amount = paid.value_or(amount)});
        EXPECT_TRUE(applied && applied->applied);
        return applied->transaction;
    }

    /// A push whose outcome never arrived, with an open review item.
    core::StkTransaction UnderReview(int64_t amount, const std::string& phone = "254712345149",
                                     const std::string& account = "B4") {
        core::StkTransaction t;
        t.agency_id = agency_a_;
        t.phone_number = phone;
        t.amount = amount;
        t.account_reference = account;
        t.transaction_desc = "Rent";
        auto tx = store_->InsertStk(t);
        EXPECT_TRUE(tx) << tx.error().message;
        EXPECT_TRUE(store_->SetStkDarajaIds(tx->id, "m-" + std::to_string(tx->id), "ws_CO_r" + std::to_string(tx->id)));
        auto item = store_->OpenReview({.agency_id = agency_a_,
                                        .transaction_id = tx->id,
                                        .reason_code = "unsettled",
                                        .reason = "M-Pesa has not settled this request"});
        EXPECT_TRUE(item) << item.error().message;
        return *tx;
    }
};

TEST_P(ReconciliationContract, TheSampleStatementIsImportedWithWhatOurRecordsLack) {
    std::ifstream file(std::string(HAVEN_FIXTURES_DIR) + "/statements/statement-sample.csv", std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    auto imported = Import(text.str());
    ASSERT_TRUE(imported) << imported.error().message;
    EXPECT_TRUE(imported->created);
    EXPECT_EQ(imported->import.row_count, 7);
    EXPECT_EQ(imported->import.period_from, "2026-12-01T07:15:03Z");
    EXPECT_EQ(imported->import.period_to, "2026-12-05T15:42:10Z");
    EXPECT_EQ(imported->import.file_sha256.size(), 64u);
    const auto findings = Findings(imported->import.id);
    // Every completed movement but the charge is unknown to an empty store; the failed row moved no money.
    std::vector<std::string> receipts;
    for (const auto& f : findings) {
        EXPECT_EQ(f.kind, "missing_in_ours") << f.receipt;
        receipts.push_back(f.receipt);
    }
    EXPECT_EQ(receipts,
              (std::vector<std::string>{"UL7K3M9Q2A", "UL6J2L8P1Z", "UL5H1K7N0Y", "UL4G0J6M9X", "UL3F9H5L8W"}));
    ASSERT_FALSE(findings.empty());
    EXPECT_EQ(findings[0].line, 6);
    EXPECT_EQ(json::parse(findings[0].statement)["accountNo"], "B4");
    const json summary = json::parse(imported->import.summary);
    EXPECT_EQ(summary["rows"]["charge"]["count"], 1);
    EXPECT_EQ(summary["rows"]["charge"]["amount"], 52);
    EXPECT_EQ(summary["rows"]["payment_in"]["amount"], 30750);
    EXPECT_EQ(summary["findings"]["missing_in_ours"], 5);
}

TEST_P(ReconciliationContract, TheSameFileAgainChangesNothingAndAnswersTheFirstImport) {
    const auto now = system_clock::now();
    const std::string text = kHeader + PayIn("RCP0000001", now, 1000);
    auto first = Import(text);
    ASSERT_TRUE(first) << first.error().message;
    auto second = Import(text);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_FALSE(second->created);
    EXPECT_EQ(second->import.id, first->import.id);
    auto list = store_->ListReconciliationImports(agency_a_, std::nullopt, 50);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    EXPECT_EQ(Findings(first->import.id).size(), 1u);
    // Another agency importing the same file has an import of its own.
    auto other = Import(text, agency_b_);
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_TRUE(other->created);
    EXPECT_NE(other->import.id, first->import.id);
}

TEST_P(ReconciliationContract, AMalformedFileWritesNothing) {
    const auto now = system_clock::now();
    auto imported = Import(kHeader + PayIn("RCP0000001", now, 1000) + "RCP0000002," + Nairobi(now) +
                           ",,x,Completed,\"10.50\",,,true,Pay Bill Online,,,B4\n");
    ASSERT_FALSE(imported);
    EXPECT_EQ(imported.error().code, ErrorCode::kValidation);
    EXPECT_NE(imported.error().message.find("line 4"), std::string::npos) << imported.error().message;
    auto dup = Import(kHeader + PayIn("RCP0000001", now, 1000) + PayIn("RCP0000001", now, 1000));
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("line 4: receipt RCP0000001 appears twice (first on line 3)"), std::string::npos)
        << dup.error().message;
    auto list = store_->ListReconciliationImports(agency_a_, std::nullopt, 50);
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->empty());
}

TEST_P(ReconciliationContract, ComparesByReceiptWithOurRecords) {
    const auto now = system_clock::now();
    const auto matched = Settled("RCPMATCH01", 1000);
    const auto differs = Settled("RCPAMOUNT1", 2000, 2000);
    const auto failed_there = Settled("RCPSTATUS1", 3000);
    const auto not_there = Settled("RCPABSENT1", 4000);
    // The statement's period runs from a minute ago to a minute ahead: all four completed inside it.
    const std::string text = kHeader + PayIn("RCPMATCH01", now - std::chrono::minutes(1), 1000) +
                             PayIn("RCPAMOUNT1", now, 2500) +
                             PayIn("RCPSTATUS1", now, 3000, "2547****149 - J", "B4", "Failed") +
                             PayIn("RCPNEW0001", now + std::chrono::minutes(1), 500) + "RCPCHARGE1," + Nairobi(now) +
                             ",,Pay Bill Charge,Completed,,\"52.00\",,true,"
                             "Pay Bill Charge,,RCPMATCH01,\n";
    auto imported = Import(text);
    ASSERT_TRUE(imported) << imported.error().message;
    std::map<std::string, Store::ReconciliationFinding> by_receipt;
    for (const auto& f : Findings(imported->import.id)) by_receipt[f.receipt] = f;
    EXPECT_EQ(by_receipt.size(), 4u);
    EXPECT_EQ(by_receipt.count("RCPMATCH01"), 0u);
    EXPECT_EQ(by_receipt.count("RCPCHARGE1"), 0u);  // charges are fees, never findings
    EXPECT_EQ(by_receipt["RCPAMOUNT1"].kind, "amount_mismatch");
    EXPECT_EQ(by_receipt["RCPAMOUNT1"].transaction_id, differs.id);
    EXPECT_EQ(by_receipt["RCPSTATUS1"].kind, "status_mismatch");
    EXPECT_EQ(by_receipt["RCPSTATUS1"].transaction_id, failed_there.id);
    EXPECT_EQ(by_receipt["RCPABSENT1"].kind, "missing_in_statement");
    EXPECT_EQ(by_receipt["RCPABSENT1"].transaction_id, not_there.id);
    EXPECT_FALSE(by_receipt["RCPABSENT1"].line.has_value());
    EXPECT_EQ(by_receipt["RCPNEW0001"].kind, "missing_in_ours");
    (void)matched;
    // Filters: by kind, and another agency sees nothing.
    auto only = store_->ListReconciliationFindings(
        {.agency_id = agency_a_, .import_id = imported->import.id, .kind = "amount_mismatch"});
    ASSERT_TRUE(only);
    ASSERT_EQ(only->size(), 1u);
    EXPECT_TRUE(Findings(imported->import.id, agency_b_).empty());
    EXPECT_EQ(store_->FindReconciliationImport(agency_b_, imported->import.id).error().code, ErrorCode::kNotFound);
}

TEST_P(ReconciliationContract, AStatementLineSettlesAPushUnderReview) {
    const auto now = system_clock::now();
    const auto push = UnderReview(1500);
    const auto other = UnderReview(1500, "254799999149", "C1");  // another tenant's push: not explained
    auto imported = Import(kHeader + PayIn("RCPSETTLE1", now, 1500, "2547****149 - JANE DOE", "b4"));
    ASSERT_TRUE(imported) << imported.error().message;
    const auto findings = Findings(imported->import.id);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].kind, "settled_review");
    EXPECT_EQ(findings[0].transaction_id, push.id);
    EXPECT_EQ(findings[0].resolution, "settled");
    auto tx = store_->FindStk(agency_a_, push.id);
    ASSERT_TRUE(tx);
    EXPECT_EQ(tx->status, core::TxStatus::kSuccess);
    EXPECT_EQ(tx->mpesa_receipt_number, "RCPSETTLE1");
    EXPECT_TRUE(tx->review_reason.empty());
    auto events = store_->ListStkEvents(push.id);
    ASSERT_TRUE(events);
    ASSERT_FALSE(events->empty());
    EXPECT_EQ(events->back().kind, "statement");
    auto items = store_->ListReview({.agency_id = agency_a_, .transaction_id = push.id});
    ASSERT_TRUE(items);
    ASSERT_EQ(items->size(), 1u);
    EXPECT_EQ((*items)[0].status, "resolved");
    EXPECT_NE((*items)[0].resolution.find("RCPSETTLE1"), std::string::npos);
    EXPECT_EQ(*store_->CountAudit("reconciliation.settle", "success"), 1);
    EXPECT_EQ(store_->FindStk(agency_a_, other.id)->status, core::TxStatus::kPending);
}

TEST_P(ReconciliationContract, ARowThatFitsTwoPushesSettlesNeither) {
    const auto now = system_clock::now();
    const auto a = UnderReview(1500);
    const auto b = UnderReview(1500);
    auto imported = Import(kHeader + PayIn("RCPAMBIG01", now, 1500));
    ASSERT_TRUE(imported) << imported.error().message;
    const auto findings = Findings(imported->import.id);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].kind, "missing_in_ours");
    EXPECT_EQ(store_->FindStk(agency_a_, a.id)->status, core::TxStatus::kPending);
    EXPECT_EQ(store_->FindStk(agency_a_, b.id)->status, core::TxStatus::kPending);
}

TEST_P(ReconciliationContract, AMissingPayBillRowIsRecordedOnceOnTheLeaseOfItsAccountNumber) {
    core::Lease lease;
    lease.agency_id = agency_a_;
    lease.tenant_name = "Jane Doe";
    lease.phone_number = "254712345149";
    lease.unit = "B4";
    lease.monthly_rent = 15000;
    lease.account_reference = "B4";
    auto inserted = store_->InsertLease(lease);
    ASSERT_TRUE(inserted) << inserted.error().message;
    const auto now = system_clock::now();
    auto imported = Import(kHeader + PayIn("RCPRECORD1", now, 15000, "2547****149 - JANE DOE", "b4") + "RCPOUT0001," +
                           Nairobi(now) +
                           ",,Business Payment to 2547****149,Completed,,\"2,000.00\",,"
                           "true,Business Payment,2547****149 - JANE DOE,,\n");
    ASSERT_TRUE(imported) << imported.error().message;
    const auto findings = Findings(imported->import.id);
    ASSERT_EQ(findings.size(), 2u);
    const service::RecordFindingInput input{.agency_id = agency_a_,
                                            .import_id = imported->import.id,
                                            .finding_id = findings[0].id,
                                            .actor = "manager@a.test"};
    auto recorded = service::RecordFinding(*store_, input);
    ASSERT_TRUE(recorded) << recorded.error().message;
    EXPECT_EQ(recorded->lease_id, inserted->id);
    EXPECT_EQ(recorded->finding.resolution, "recorded");
    EXPECT_EQ(recorded->finding.transaction_id, recorded->transaction_id);
    auto payments = store_->ListPayments(agency_a_, inserted->id);
    ASSERT_TRUE(payments);
    ASSERT_EQ(payments->size(), 1u);
    EXPECT_EQ((*payments)[0].amount, 15000);
    EXPECT_EQ((*payments)[0].mpesa_receipt_number, "RCPRECORD1");
    EXPECT_EQ(service::RecordFinding(*store_, input).error().code, ErrorCode::kConflict);
    auto out = service::RecordFinding(*store_, {.agency_id = agency_a_,
                                                .import_id = imported->import.id,
                                                .finding_id = findings[1].id,
                                                .actor = "manager@a.test"});
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::kUnprocessable);
    // Recorded, the receipt is ours now: the next statement with it finds nothing missing.
    auto again = Import(kHeader + PayIn("RCPRECORD1", now, 15000, "2547****149 - JANE DOE", "b4"));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(Findings(again->import.id).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconciliationContract, ::testing::ValuesIn(test::Backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
