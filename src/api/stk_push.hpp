#pragma once
// Shared by the staff route (POST /api/v1/mpesa/stk-push) and the tenant page (POST /api/v1/pay/{t}/stk-push).
#include <optional>

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// Validates the body (every bad field listed), then runs the push under the Idempotency-Key and answers through
/// `reply` once Daraja's answer is recorded (no thread waits meanwhile). `fixed_lease_id` pins the lease (tenant
/// page); otherwise the body's optional leaseId is used. Register it behind CallsDaraja (answer_later.hpp).
void StkPushResponse(const net::Request& req, ApiContext& ctx, const nlohmann::json& body, const service::Actor& actor,
                     std::optional<int64_t> fixed_lease_id, const std::string& scope, net::Reply reply);

}  // namespace haven::api
