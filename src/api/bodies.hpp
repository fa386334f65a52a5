#pragma once
// Request bodies of the money-moving routes -> service inputs. Every invalid field is listed, not just
// the first (Validator), so a form can show them all. Pure functions of the JSON, so they are tested and
// fuzzed without a server (tests/fuzz/request_body_fuzz.cpp).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.hpp"
#include "service/b2c_service.hpp"
#include "service/reversal_service.hpp"
#include "service/stk_service.hpp"

namespace haven::api {

inline constexpr int64_t kMinB2cAmount = 10;  // Daraja's B2C minimum (docs/daraja.md §5.1)

/// A positive id given as a JSON integer or a digit string; std::nullopt for anything else.
std::optional<int64_t> IdField(const nlohmann::json& v);

/// Each reader takes the parsed body (ParseJsonBody makes it an object; anything else is kBadJson).

/// POST /api/v1/mpesa/stk-push: phoneNumber, amount (1..kMaxStkAmount), accountReference (at most 12 characters),
/// optional transactionDesc (kept in full, Daraja is sent its first 13; default "Rent payment"), optional leaseId
/// (our id or Haven's external id, core/lease_key.hpp).
core::Result<service::StkPushInput> ReadStkPushBody(const nlohmann::json& body);

/// What a lease decides when its tenant pays from the payment page.
struct TenantPush {
    int64_t lease_id = 0;
    std::string account_reference;  // the lease's
    int64_t amount_due = 0;         // asked for when the tenant names no amount
};

/// POST /api/v1/pay/{token}/stk-push: the tenant chooses phoneNumber and, optionally, amount (1..kMaxStkAmount,
/// default `lease.amount_due`); the lease fixes the reference and where the money is booked (description "Rent").
core::Result<service::StkPushInput> ReadTenantStkPushBody(const nlohmann::json& body, const TenantPush& lease);

/// POST /api/v1/mpesa/b2c: phoneNumber, amount (kMinB2cAmount..core::kMaxStkAmount), type, remarks, optional
/// occasion, optional originalTransactionId (refunds only).
core::Result<service::B2cInput> ReadB2cBody(const nlohmann::json& body);

/// POST /api/v1/mpesa/reverse: transactionId, optional amount (1..core::kMaxStkAmount), remarks, reason.
core::Result<service::ReversalInput> ReadReversalBody(const nlohmann::json& body);

}  // namespace haven::api
