#include "service/reconciliation.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/hex.hpp"
#include "core/statement.hpp"
#include "core/time.hpp"
#include "service/c2b_service.hpp"

namespace haven::service {

using core::ErrorCode;
using core::Fail;
using core::StatementRow;
using core::StatementRowKind;
using json = nlohmann::json;
using Finding = storage::Store::ReconciliationFinding;
using ReceiptRecord = storage::Store::ReceiptRecord;

namespace {

/// Statement rows looked up in our records per query.
constexpr size_t kLookupBatch = 512;

json RowJson(const StatementRow& row) {
    json j = {{"line", row.line},
              {"receipt", row.receipt},
              {"kind", core::StatementRowKindName(row.kind)},
              {"completionTime", core::IsoUtc(row.completed_at)},
              {"details", row.details},
              {"status", row.status},
              {"paidIn", row.paid_in},
              {"withdrawn", row.withdrawn},
              {"reasonType", row.reason_type},
              {"otherPartyInfo", row.other_party},
              {"linkedTransactionId", row.linked_receipt},
              {"accountNo", row.account_no}};
    j["initiationTime"] = row.initiated_at ? json(core::IsoUtc(*row.initiated_at)) : json(nullptr);
    return j;
}

Finding MakeFinding(const StatementRow& row, std::string kind, std::string detail,
                    std::optional<int64_t> transaction_id = std::nullopt) {
    Finding f;
    f.receipt = row.receipt;
    f.kind = std::move(kind);
    f.line = row.line;
    f.statement = RowJson(row).dump();
    f.transaction_id = transaction_id;
    f.detail = std::move(detail);
    return f;
}

/// A statement row whose receipt we do not know, kept until the end: a push under review may explain it.
struct Unknown {
    StatementRow row;
};

class Sha256 {
  public:
    Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
    void Update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
    std::string Hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_.get(), digest, &n);
        return core::ToHex(digest, n);
    }

  private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

/// Everything the comparison accumulates while the file streams by.
class Comparison {
  public:
    Comparison(storage::Store& store, int64_t agency_id) : store_(store), agency_id_(agency_id) {}

    Result<void> Add(const StatementRow& row) {
        if (auto [it, inserted] = lines_.emplace(row.receipt, row.line); !inserted) {
            return Fail(core::Error::Validation("file", "line " + std::to_string(row.line) + ": receipt " +
                                                            row.receipt + " appears twice (first on line " +
                                                            std::to_string(it->second) + ")"));
        }
        ++rows_;
        if (!first_ || row.completed_at < *first_) first_ = row.completed_at;
        if (!last_ || row.completed_at > *last_) last_ = row.completed_at;
        auto& s = summary_["rows"][std::string(core::StatementRowKindName(row.kind))];
        if (s.is_null()) s = {{"count", 0}, {"amount", 0}};
        s["count"] = s["count"].get<int64_t>() + 1;
        s["amount"] = s["amount"].get<int64_t>() + row.Amount();
        if (row.kind == StatementRowKind::kCharge) return {};  // fees: never findings
        batch_.push_back(row);
        if (batch_.size() >= kLookupBatch) return Flush();
        return {};
    }

    /// Compares the rows waiting for a lookup with our records of their receipts.
    Result<void> Flush() {
        if (batch_.empty()) return {};
        std::vector<std::string> receipts;
        receipts.reserve(batch_.size());
        for (const StatementRow& r : batch_) receipts.push_back(r.receipt);
        auto ours = store_.FindReceiptRecords(agency_id_, receipts);
        if (!ours) return Fail(ours.error());
        std::unordered_map<std::string, ReceiptRecord> by_receipt;
        for (ReceiptRecord& rec : *ours) by_receipt.emplace(rec.receipt, std::move(rec));
        for (StatementRow& row : batch_) {
            auto it = by_receipt.find(row.receipt);
            if (it == by_receipt.end()) {
                // A failed row we never heard of moved no money: nothing to reconcile.
                if (row.kind != StatementRowKind::kFailed) unknown_.push_back({std::move(row)});
                continue;
            }
            Compare(row, it->second);
        }
        batch_.clear();
        return {};
    }

    void Compare(const StatementRow& row, const ReceiptRecord& ours) {
        ++matched_;
        const bool statement_moved = row.kind != StatementRowKind::kFailed;
        const bool ours_moved = ours.status == "SUCCESS";
        if (statement_moved != ours_moved) {
            findings_.push_back(MakeFinding(row, "status_mismatch",
                                            "the statement says " + row.status + ", our " + ours.source +
                                                " transaction " + std::to_string(ours.transaction_id) + " is " +
                                                ours.status,
                                            ours.transaction_id));
            return;
        }
        if (statement_moved && row.Amount() != ours.amount) {
            findings_.push_back(MakeFinding(row, "amount_mismatch",
                                            "the statement says " + std::to_string(row.Amount()) + ", our " +
                                                ours.source + " transaction " + std::to_string(ours.transaction_id) +
                                                " says " + std::to_string(ours.amount),
                                            ours.transaction_id));
        }
    }

    storage::Store& store_;
    int64_t agency_id_;
    std::unordered_map<std::string, int64_t> lines_;  // receipt -> line: duplicates, and what the statement has
    std::vector<StatementRow> batch_;
    std::vector<Unknown> unknown_;
    std::vector<Finding> findings_;
    std::optional<std::chrono::system_clock::time_point> first_, last_;
    int64_t rows_ = 0;
    int64_t matched_ = 0;
    json summary_ = {{"rows", json::object()}};
};

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// A push under review explains a row when the masked number, the amount and the account reference agree and it
/// was created within `window` of the row's initiation (or completion) time.
bool Explains(const core::StkTransaction& tx, const StatementRow& row, std::chrono::seconds window) {
    if (row.kind != StatementRowKind::kPaymentIn || tx.amount != row.paid_in) return false;
    if (Lower(tx.account_reference) != Lower(row.account_no)) return false;
    if (!core::MaskedPhoneMatches(row.other_party, tx.phone_number)) return false;
    const auto created = core::ParseIsoUtc(tx.created_at);
    if (!created) return false;
    const auto at = row.initiated_at.value_or(row.completed_at);
    const auto gap = at > *created ? at - *created : *created - at;
    return gap <= window;
}

struct Settlement {
    core::StkTransaction tx;
    StatementRow row;
};

}  // namespace

Result<StatementImportResult> ImportStatement(storage::Store& store, std::istream& in,
                                              const StatementImportInput& input,
                                              const std::function<void(int64_t)>& on_bytes) {
    Comparison cmp(store, input.agency_id);
    core::StatementParser parser([&](const StatementRow& row) { return cmp.Add(row); });
    Sha256 sha;
    std::string buffer(64 * 1024, '\0');
    int64_t total = 0;
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        total += static_cast<int64_t>(n);
        const std::string_view chunk(buffer.data(), n);
        sha.Update(chunk);
        if (auto r = parser.Feed(chunk); !r) return Fail(r.error());
        if (on_bytes) on_bytes(total);
    }
    if (in.bad()) return Fail(ErrorCode::kValidation, "the file could not be read");
    if (auto r = parser.Finish(); !r) return Fail(r.error());
    if (auto r = cmp.Flush(); !r) return Fail(r.error());

    const std::string file_sha = sha.Hex();
    if (auto existing = store.FindReconciliationImportBySha(input.agency_id, file_sha)) {
        return StatementImportResult{std::move(*existing), false};
    } else if (existing.error().code != ErrorCode::kNotFound) {
        return Fail(existing.error());
    }

    storage::Store::ReconciliationImport import;
    import.agency_id = input.agency_id;
    import.file_sha256 = file_sha;
    import.file_name = input.file_name.substr(0, 255);
    import.row_count = cmp.rows_;
    import.created_by = input.actor;
    std::vector<Finding> findings = std::move(cmp.findings_);
    std::vector<Settlement> settlements;
    if (cmp.first_) {
        import.period_from = core::IsoUtc(*cmp.first_);
        import.period_to = core::IsoUtc(*cmp.last_);
        // Ours but not on the statement: a SUCCESS record with a receipt completed within the statement's period.
        auto ours = store.ListReceiptRecordsCompleted(input.agency_id, import.period_from, import.period_to);
        if (!ours) return Fail(ours.error());
        for (const ReceiptRecord& rec : *ours) {
            if (cmp.lines_.count(rec.receipt) != 0) continue;
            Finding f;
            f.receipt = rec.receipt;
            f.kind = "missing_in_statement";
            f.transaction_id = rec.transaction_id;
            f.detail = "our " + rec.source + " transaction " + std::to_string(rec.transaction_id) + " of " +
                       std::to_string(rec.amount) + " completed " + rec.completed_at + " is not on the statement";
            findings.push_back(std::move(f));
        }
        // Pushes under review (their outcome never arrived, so we lack the receipt): a statement row explains one
        // when exactly one push fits it and it fits no other row.
        auto review = store.ListStkUnderReview(input.agency_id, core::IsoUtc(*cmp.first_ - std::chrono::hours(24)),
                                               core::IsoUtc(*cmp.last_ + std::chrono::hours(1)));
        if (!review) return Fail(review.error());
        std::map<int64_t, int> claims;  // push id -> rows it fits
        std::vector<std::optional<size_t>> fit(cmp.unknown_.size());
        for (size_t i = 0; i < cmp.unknown_.size(); ++i) {
            std::vector<size_t> candidates;
            for (size_t k = 0; k < review->size(); ++k) {
                if (Explains((*review)[k], cmp.unknown_[i].row, input.settle_window)) candidates.push_back(k);
            }
            for (size_t k : candidates) ++claims[(*review)[k].id];
            if (candidates.size() == 1) fit[i] = candidates.front();
        }
        for (size_t i = 0; i < cmp.unknown_.size(); ++i) {
            StatementRow& row = cmp.unknown_[i].row;
            if (fit[i] && claims[(*review)[*fit[i]].id] == 1) {
                settlements.push_back({(*review)[*fit[i]], row});
                continue;
            }
            std::string detail = "receipt " + row.receipt + " (" + std::string(core::StatementRowKindName(row.kind)) +
                                 " of " + std::to_string(row.Amount()) +
                                 ") is in none of our records: a callback or confirmation we never received";
            if (fit[i]) detail += "; several statement rows fit the same push under review";
            findings.push_back(MakeFinding(row, "missing_in_ours", std::move(detail)));
        }
    }

    json summary = cmp.summary_;
    json by_kind = json::object();
    StatementImportResult result;
    result.created = true;
    auto unit = store.Atomically([&](storage::Store& s) -> Result<void> {
        std::vector<Finding> all = findings;
        for (const Settlement& st : settlements) {
            storage::StkOutcome outcome;
            outcome.status = core::TxStatus::kSuccess;
            outcome.result_code = 0;
            outcome.result_desc = "Settled from the M-Pesa statement (receipt " + st.row.receipt + ", line " +
                                  std::to_string(st.row.line) + ")";
            outcome.mpesa_receipt_number = st.row.receipt;
            outcome.transaction_date = core::DarajaTimestamp(st.row.completed_at);
            outcome.paid_amount = st.row.paid_in;
            auto applied = s.SettleStkById(input.agency_id, st.tx.id, outcome);
            if (!applied) return Fail(applied.error());
            if (!applied->applied) {
                all.push_back(MakeFinding(st.row, "missing_in_ours",
                                          "receipt " + st.row.receipt + " fits push " + std::to_string(st.tx.id) +
                                              ", which was settled otherwise meanwhile",
                                          st.tx.id));
                continue;
            }
            json evidence = {{"source", "statement"}, {"fileSha256", file_sha}, {"row", RowJson(st.row)}};
            if (auto r = s.AddStkEvent(st.tx.id, "statement", evidence.dump()); !r) return Fail(r.error());
            storage::ReviewFilter rf;
            rf.agency_id = input.agency_id;
            rf.transaction_id = st.tx.id;
            rf.status = "open";
            auto items = s.ListReview(rf);
            if (!items) return Fail(items.error());
            for (const auto& item : *items) {
                auto resolved = s.ResolveReview(input.agency_id, false, item.id,
                                                "Settled SUCCESS from the M-Pesa statement: receipt " + st.row.receipt +
                                                    ", line " + std::to_string(st.row.line) + " of " + input.file_name,
                                                input.actor);
                if (!resolved && resolved.error().code != ErrorCode::kConflict) return Fail(resolved.error());
            }
            core::AuditEntry audit{input.agency_id,
                                   input.actor_user_id,
                                   input.actor,
                                   "reconciliation.settle",
                                   "transaction:" + std::to_string(st.tx.id),
                                   input.request_id,
                                   "success",
                                   json({{"receipt", st.row.receipt}, {"line", st.row.line}}).dump()};
            if (auto r = s.InsertAudit(audit); !r) return Fail(r.error());
            Finding f = MakeFinding(st.row, "settled_review",
                                    "push " + std::to_string(st.tx.id) +
                                        " was under review (its outcome never arrived); settled SUCCESS from this line",
                                    st.tx.id);
            f.resolution = "settled";
            f.resolved_by = input.actor;
            all.push_back(std::move(f));
        }
        std::stable_sort(all.begin(), all.end(), [](const Finding& a, const Finding& b) {
            return a.line.value_or(INT64_MAX) < b.line.value_or(INT64_MAX);
        });
        for (const Finding& f : all) by_kind[f.kind] = by_kind.value(f.kind, 0) + 1;
        summary["findings"] = by_kind;
        summary["matched"] = cmp.matched_;
        import.summary = summary.dump();
        auto inserted = s.InsertReconciliationImport(import, all);
        if (!inserted) return Fail(inserted.error());
        result.import = std::move(*inserted);
        return {};
    });
    if (!unit) {
        // Two imports of one file at once: the other one won, and this one answers it.
        if (unit.error().code == ErrorCode::kConflict) {
            if (auto existing = store.FindReconciliationImportBySha(input.agency_id, file_sha)) {
                return StatementImportResult{std::move(*existing), false};
            }
        }
        return Fail(unit.error());
    }
    return result;
}

Result<RecordFindingResult> RecordFinding(storage::Store& store, const RecordFindingInput& input) {
    auto finding = store.FindReconciliationFinding(input.agency_id, input.import_id, input.finding_id);
    if (!finding) return Fail(finding.error());
    if (!finding->resolution.empty()) return Fail(ErrorCode::kConflict, "this finding is already resolved");
    const json row = json::parse(finding->statement, nullptr, false);
    if (finding->kind != "missing_in_ours" || !row.is_object() || row.value("kind", "") != "payment_in") {
        return Fail(ErrorCode::kUnprocessable, "only a payment in that is missing in our records can be recorded");
    }
    const auto completed = core::ParseIsoUtc(row.value("completionTime", ""));
    if (!completed) return Fail(ErrorCode::kUnprocessable, "the finding has no completion time");
    // Other Party Info is "2547****149 - JANE DOE": the number (masked as exported) and the name.
    const std::string other = row.value("otherPartyInfo", "");
    const size_t dash = other.find(" - ");
    RecordFindingResult out;
    auto unit = store.Atomically([&](storage::Store& s) -> Result<void> {
        // Recorded and matched exactly as a C2B confirmation would have been (an unmatched one joins the queue).
        C2bPaymentInput p;
        p.transaction_type = "Pay Bill";
        p.trans_id = finding->receipt;
        p.bill_ref_number = row.value("accountNo", "");
        p.amount = row.value("paidIn", int64_t{0});
        p.msisdn = dash == std::string::npos ? other : other.substr(0, dash);  // masked as exported
        p.payer_name = dash == std::string::npos ? "" : other.substr(dash + 3);
        p.trans_time = core::DarajaTimestamp(*completed);
        p.completed_at = core::IsoUtc(*completed);
        p.business_shortcode = row.value("shortcode", "");
        p.api_version = 2;  // a masked number, as v2 sends it: no phone-hash fallback
        auto recorded = RecordC2bPaymentFor(s, input.agency_id, p, "statement");
        if (!recorded) return Fail(recorded.error());
        out.transaction_id = recorded->payment.id;
        out.lease_id = recorded->payment.lease_id;
        auto resolved = s.ResolveReconciliationFinding(input.agency_id, input.import_id, input.finding_id, "recorded",
                                                       input.actor, recorded->payment.id);
        if (!resolved) return Fail(resolved.error());
        out.finding = std::move(*resolved);
        return {};
    });
    if (!unit) return Fail(unit.error());
    return out;
}

}  // namespace haven::service
