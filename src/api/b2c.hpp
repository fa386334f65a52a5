#pragma once
// Shared by the B2C, reversal, balance, status and transaction routes.
#include <functional>
#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "service/b2c_service.hpp"
#include "service/balance_service.hpp"
#include "service/reversal_service.hpp"
#include "service/status_query.hpp"
#include "service/transfer_results.hpp"
#include "storage/store.hpp"

namespace haven::api {

/// Result/timeout URLs derived from the callback URL's base (the part before /api/v1/mpesa/callback,
/// or its scheme://host:port) plus our route paths, each with the callback secret.
service::ResultUrls ResultUrlsFor(const ApiContext& ctx);
/// The global account's deps (Results and timeouts, which call no Daraja API).
service::B2cDeps B2cDepsFor(ApiContext& ctx);
/// The deps of the agency's account (its own client when it has one): what every call to Daraja for it uses.
core::Result<service::B2cDeps> B2cDepsFor(ApiContext& ctx, int64_t agency_id);

/// A B2C payment or reversal as listed in /mpesa/transactions (kind "b2c" | "reversal").
nlohmann::json TransferJson(const storage::Transfer& t);
/// A transfer's answer as POST /mpesa/b2c and /mpesa/reverse give it: the row as Daraja's answer left it plus
/// transactionId, or the error (kNotFound worded as `not_found` when set).
std::function<void(core::Result<storage::Transfer>)> AnswerTransfer(net::Reply reply, const char* not_found);
/// A ResultCode as JSON: a number when numeric ("2001" -> 2001), else the text ("R000002"); null when empty.
nlohmann::json ResultCodeJson(const std::string& code);

}  // namespace haven::api
