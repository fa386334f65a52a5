#pragma once
// Shared by the C2B and transaction routes.
#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "service/c2b_service.hpp"
#include "storage/store.hpp"

namespace haven::api {

/// The global account and the env defaults of the C2B settings, from the gateway's settings.
service::C2bConfig C2bConfigFor(const ApiContext& ctx);
/// A C2B payment as listed in /mpesa/transactions (kind "c2b") and the unmatched queue.
nlohmann::json C2bJson(const storage::C2bPayment& p);

}  // namespace haven::api
