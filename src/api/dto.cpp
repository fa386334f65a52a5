#include "api/dto.hpp"

#include "core/result_codes.hpp"
#include "core/state.hpp"
#include "core/time.hpp"

namespace haven::api {

using nlohmann::json;

namespace {
json OptionalText(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
}  // namespace

json Instant(const std::string& stored) {
    if (stored.empty()) return nullptr;
    // The store writes "2026-12-01T18:02:12Z" (core::IsoUtc): only the milliseconds are missing.
    if (stored.size() == 20 && stored[10] == 'T' && stored.back() == 'Z') return stored.substr(0, 19) + ".000Z";
    auto t = core::ParseIsoUtc(stored);
    return t ? json(core::IsoUtcMillis(*t)) : json(stored);
}

json MpesaInstant(const std::string& mpesa_date) {
    auto t = core::ParseDarajaTimestamp(mpesa_date);
    return t ? json(core::IsoUtcMillis(*t)) : json(nullptr);
}

json LeaseJson(const core::Lease& lease) {
    return {{"id", lease.id},
            {"tenantName", lease.tenant_name},
            {"phoneNumber", lease.phone_number},
            {"unit", lease.unit},
            {"monthlyRent", lease.monthly_rent},
            {"accountReference", lease.account_reference},
            {"externalId", OptionalText(lease.external_id)},
            {"createdAt", Instant(lease.created_at)},
            {"email", OptionalText(lease.email)},
            {"status", lease.Ended() ? "ended" : "active"},
            {"endDate", OptionalText(lease.end_date)},
            {"endedAt", Instant(lease.ended_at)},
            {"endReason", OptionalText(lease.end_reason)},
            {"dueDay", lease.due_day},
            {"startDate", OptionalText(lease.start_date)}};
}

json AuditJson(const storage::Store::AuditRecord& record) {
    const auto& e = record.entry;
    json detail = nullptr;
    if (!e.detail.empty()) {
        detail = json::parse(e.detail, nullptr, false);
        if (detail.is_discarded()) detail = e.detail;
    }
    return {{"id", record.id},
            {"at", Instant(record.at)},
            {"actor", e.actor},
            {"actorUserId", e.actor_user_id ? json(*e.actor_user_id) : json(nullptr)},
            {"action", e.action},
            {"target", e.target},
            {"outcome", e.outcome},
            {"requestId", e.request_id},
            {"detail", std::move(detail)}};
}

json PaymentJson(const core::Payment& p, const std::string& lease_external_id) {
    return {{"id", p.id},
            {"leaseId", p.lease_id},
            {"leaseExternalId", OptionalText(lease_external_id)},
            {"transactionId", p.transaction_id},
            {"amount", p.amount},
            {"mpesaReceiptNumber", OptionalText(p.mpesa_receipt_number)},
            {"phoneNumber", p.phone_number},
            {"paidAt", Instant(p.paid_at)},
            {"source", p.source},
            {"payerName", OptionalText(p.payer_name)}};
}

json UserJson(const core::User& user, const std::string& agency_name) {
    return {{"id", user.id},
            {"email", user.email},
            {"role", core::ToString(user.role)},
            {"agencyId", user.agency_id},
            {"agencyName", agency_name}};
}

void AddReviewFields(json& out, const std::string& review_reason, const core::Reconciliation& r,
                     core::TxStatus status) {
    out["needsReview"] = !review_reason.empty();
    out["reviewReason"] = OptionalText(review_reason);
    if (status == core::TxStatus::kPending) {
        out["reconciliation"] = {{"attempts", r.attempts},
                                 {"lastError", OptionalText(r.last_error)},
                                 {"nextAttemptAt", Instant(r.next_attempt_at)}};
    }
}

namespace {

void AddStkMoneyFields(json& out, const core::StkTransaction& tx) {
    out["paidAmount"] = tx.paid_amount ? json(*tx.paid_amount) : json(nullptr);
    out["amountMismatch"] = tx.AmountMismatch();
    AddReviewFields(out, tx.review_reason, tx.reconciliation, tx.status);
}

}  // namespace

json ReviewJson(const storage::ReviewItem& item) {
    auto id = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); };
    return {{"id", item.id},
            {"transactionId", id(item.transaction_id)},
            {"inboundId", id(item.inbound_id)},
            {"reasonCode", item.reason_code},
            {"reason", item.reason},
            {"status", item.status},
            {"resolution", OptionalText(item.resolution)},
            {"resolvedBy", OptionalText(item.resolved_by)},
            {"createdAt", Instant(item.created_at)},
            {"resolvedAt", Instant(item.resolved_at)}};
}

json TransactionJson(const core::StkTransaction& tx, const std::string& lease_external_id) {
    json out = {{"id", tx.id},
                {"kind", core::ToString(core::TxKind::kStk)},
                {"status", core::ToString(tx.status)},
                {"amount", tx.amount},
                {"phoneNumber", tx.phone_number},
                {"accountReference", tx.account_reference},
                {"transactionDesc", tx.transaction_desc},
                {"leaseId", tx.lease_id ? json(*tx.lease_id) : json(nullptr)},
                {"leaseExternalId", tx.lease_id ? OptionalText(lease_external_id) : json(nullptr)},
                {"merchantRequestId", OptionalText(tx.merchant_request_id)},
                {"checkoutRequestId", OptionalText(tx.checkout_request_id)},
                {"mpesaReceiptNumber", OptionalText(tx.mpesa_receipt_number)},
                {"resultCode", tx.result_code ? json(*tx.result_code) : json(nullptr)},
                {"resultDescription", OptionalText(tx.result_desc)},
                {"transactionDate", MpesaInstant(tx.transaction_date)},
                {"mpesaTransactionDate", OptionalText(tx.transaction_date)},
                {"completedAt", Instant(tx.completed_at)},
                {"createdAt", Instant(tx.created_at)},
                {"updatedAt", Instant(tx.updated_at)}};
    AddStkMoneyFields(out, tx);
    return out;
}

json StatusJson(const core::StkTransaction& tx, const std::string& lease_external_id) {
    json out = {{"id", tx.id},
                {"checkoutRequestId", OptionalText(tx.checkout_request_id)},
                {"merchantRequestId", OptionalText(tx.merchant_request_id)},
                {"status", core::ToString(tx.status)},
                {"mpesaReceiptNumber", OptionalText(tx.mpesa_receipt_number)},
                {"amount", tx.amount},
                {"phoneNumber", tx.phone_number},
                {"accountReference", tx.account_reference},
                {"leaseId", tx.lease_id ? json(*tx.lease_id) : json(nullptr)},
                {"leaseExternalId", tx.lease_id ? OptionalText(lease_external_id) : json(nullptr)},
                {"transactionDate", MpesaInstant(tx.transaction_date)},
                {"mpesaTransactionDate", OptionalText(tx.transaction_date)},
                {"completedAt", Instant(tx.completed_at)},
                {"createdAt", Instant(tx.created_at)},
                {"updatedAt", Instant(tx.updated_at)}};
    AddStkMoneyFields(out, tx);
    return out;
}

json DetailedStatusJson(const core::StkTransaction& tx, const std::string& lease_external_id) {
    json out = StatusJson(tx, lease_external_id);
    out["resultCode"] = tx.result_code ? json(*tx.result_code) : json(nullptr);
    out["resultDescription"] = OptionalText(tx.result_desc);
    if (tx.status == core::TxStatus::kPending) {
        out["outcome"] = "PENDING";
        out["userMessage"] = "Waiting for you to enter your M-Pesa PIN on your phone.";
    } else if (!tx.result_code) {
        // Refused by Daraja before any prompt reached the phone.
        out["outcome"] = "REJECTED";
        out["userMessage"] = "M-Pesa could not send the payment prompt. No money was taken. Please try again later.";
    } else {
        auto info = core::DescribeResultCode(std::to_string(*tx.result_code));
        out["outcome"] = info.outcome;
        out["userMessage"] = info.user_message;
    }
    return out;
}

}  // namespace haven::api
