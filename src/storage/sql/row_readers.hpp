#pragma once
// Row readers: the column list of each table and the function that maps one row of it to its struct.
// A SELECT names `k...Cols`; the matching Read... consumes the columns in that order.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/state.hpp"
#include "storage/sql_store.hpp"

namespace haven::storage {

inline constexpr const char* kUserCols =
    "id, agency_id, email, password_hash, role, created_at, disabled_at, tokens_valid_after";
inline constexpr const char* kLeaseCols =
    "id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, external_id, created_at, email, "
    "end_date, ended_at, end_reason, due_day, start_date";
inline constexpr const char* kStkCols =
    "id, agency_id, lease_id, user_id, phone_number, amount, account_reference, transaction_desc, "
    "merchant_request_id, checkout_request_id, status, result_code, result_desc, mpesa_receipt_number, "
    "transaction_date, created_at, updated_at, attempts, last_error, next_attempt_at, paid_amount, review_reason, "
    "completed_at";
inline constexpr const char* kTransferCols =
    "id, agency_id, user_id, kind, type, command_id, phone_number, amount, remarks, occasion, reason, "
    "original_transaction_id, original_receipt, originator_conversation_id, conversation_id, status, result_code, "
    "result_desc, mpesa_receipt_number, created_at, updated_at, attempts, last_error, next_attempt_at, review_reason, "
    "completed_at";
inline constexpr const char* kBalanceCols =
    "id, agency_id, user_id, originator_conversation_id, conversation_id, status, result_code, result_desc, "
    "accounts, created_at, updated_at";
inline constexpr const char* kStatusQueryCols =
    "id, agency_id, user_id, transaction_id, receipt, originator_conversation_id, conversation_id, status, "
    "result_code, result_desc, transaction_status, created_at, updated_at";
inline constexpr const char* kReviewCols =
    "id, agency_id, transaction_id, inbound_id, reason_code, reason, status, resolution, resolved_by, created_at, "
    "resolved_at";
inline constexpr const char* kPaymentCols =
    "id, agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, phone_number, paid_at, source, payer_name";

/// A stored status, role or kind, read; a value the code does not know reads as the least privileged
/// (PENDING, viewer) or, for a transfer's kind, as a B2C payment.
core::TxStatus StoredStatus(std::string_view text);
core::Role StoredRole(std::string_view text);
core::TxKind StoredKind(std::string_view text);

/// Typed access to a text row.
class RowReader {
  public:
    explicit RowReader(const SqlRow& row) : row_(row) {}
    std::string Text() {
        const auto& v = row_.at(i_++);
        return v ? *v : std::string();
    }
    std::optional<int64_t> OptInt() {
        const auto& v = row_.at(i_++);
        if (!v || v->empty()) return std::nullopt;
        int64_t out = 0;
        std::from_chars(v->data(), v->data() + v->size(), out);
        return out;
    }
    int64_t Int() { return OptInt().value_or(0); }
    /// attempts, last_error, next_attempt_at: the reconciler's columns, in that order.
    core::Reconciliation Reconciliation() {
        core::Reconciliation out;
        out.attempts = Int();
        out.last_error = Text();
        out.next_attempt_at = Text();
        return out;
    }

  private:
    const SqlRow& row_;
    size_t i_ = 0;
};

core::Agency ReadAgency(const SqlRow& row);
core::User ReadUser(const SqlRow& row);
core::Lease ReadLease(const SqlRow& row);
inline constexpr const char* kAuditCols =
    "id, agency_id, actor_user_id, actor, action, target, request_id, outcome, detail, at";
core::StkTransaction ReadStk(const SqlRow& row);
core::Payment ReadPayment(const SqlRow& row);
Transfer ReadTransfer(const SqlRow& row);
ReviewItem ReadReview(const SqlRow& row);
BalanceCheck ReadBalance(const SqlRow& row);
StatusQuery ReadStatusQuery(const SqlRow& row);
core::TxEvent ReadEvent(const SqlRow& row);
inline int64_t ReadInt(const SqlRow& row) { return RowReader(row).Int(); }

/// The one row a statement returns, read; kNotFound ("<what> not found") when it returned none.
template <class T, class Reader>
Result<T> One(Result<SqlResult> res, Reader read, const char* what) {
    if (!res) return core::Fail(res.error());
    if (res->rows.empty()) return core::Fail(core::ErrorCode::kNotFound, std::string(what) + " not found");
    return read(res->rows.front());
}

template <class T, class Reader>
Result<std::vector<T>> Many(Result<SqlResult> res, Reader read) {
    if (!res) return core::Fail(res.error());
    std::vector<T> out;
    out.reserve(res->rows.size());
    for (const SqlRow& row : res->rows) out.push_back(read(row));
    return out;
}

}  // namespace haven::storage
