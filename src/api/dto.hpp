#pragma once
// Domain records -> the JSON our clients see (camelCase, the seed's field names).
#include <nlohmann/json.hpp>

#include "core/models.hpp"
#include "storage/store.hpp"

namespace haven::api {

/// An instant as the API shows it: ISO-8601 UTC with milliseconds ("2024-12-13T10:30:00.000Z"); null when empty.
nlohmann::json Instant(const std::string& stored);
/// M-Pesa's yyyyMMddHHmmss (Nairobi time) as that instant; null when empty or malformed.
nlohmann::json MpesaInstant(const std::string& mpesa_date);

nlohmann::json LeaseJson(const core::Lease& lease);
/// Each leaseId shown is accompanied by leaseExternalId: Haven's id of that lease (`lease_external_id`), null when
/// there is no lease or it has no external id.
nlohmann::json PaymentJson(const core::Payment& payment, const std::string& lease_external_id);
nlohmann::json UserJson(const core::User& user, const std::string& agency_name);
/// The full transaction as listed in /mpesa/transactions.
nlohmann::json TransactionJson(const core::StkTransaction& tx, const std::string& lease_external_id);
nlohmann::json ReviewJson(const storage::ReviewItem& item);
/// One audit row as GET /api/v1/audit and a lease's history show it (detail parsed back into JSON).
nlohmann::json AuditJson(const storage::Store::AuditRecord& record);
/// needsReview, reviewReason and, while PENDING, reconciliation {attempts, lastError, nextAttemptAt}:
/// shown on every kind of transaction.
void AddReviewFields(nlohmann::json& out, const std::string& review_reason, const core::Reconciliation& r,
                     core::TxStatus status);
/// /mpesa/status/:checkoutRequestId
nlohmann::json StatusJson(const core::StkTransaction& tx, const std::string& lease_external_id);
/// /mpesa/status-detailed/:checkoutRequestId: adds resultCode, resultDescription, userMessage, outcome.
nlohmann::json DetailedStatusJson(const core::StkTransaction& tx, const std::string& lease_external_id);

}  // namespace haven::api
