#pragma once
// Shared by the staff route (POST /api/v1/mpesa/stk-push) and the tenant page (POST /api/v1/pay/{t}/stk-push).
#include <nlohmann/json.hpp>
#include <optional>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// Runs the push read from `body` (bodies.hpp; its errors are answered as they are) under the Idempotency-Key, and
/// answers through `reply` once Daraja's answer is recorded (no thread waits meanwhile). `body` is what the client
/// sent: a retry with the same key must send the same. Register it behind CallsDaraja (answer_later.hpp).
void StkPushResponse(const net::Request& req, ApiContext& ctx, const nlohmann::json& body,
                     core::Result<service::StkPushInput> read, const service::Actor& actor, const std::string& scope,
                     net::Reply reply);

}  // namespace haven::api
