#pragma once
// Idempotency-Key on POSTs that move money: the first answer is stored and replayed for a retry
// with the same key and body; the same key with a different body is a 422.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// Runs `run` at most once per (agency, scope, Idempotency-Key). Without the header, just runs it.
net::Response WithIdempotency(const net::Request& req, const ApiContext& ctx, int64_t agency_id,
                              const std::string& scope, const nlohmann::json& body,
                              const std::function<net::Response()>& run);

}  // namespace haven::api
