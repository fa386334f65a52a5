#pragma once
// Idempotency-Key on POSTs that move money: the first answer is stored and replayed for a retry
// with the same key and body; the same key with a different body is a 422. A claim whose request never
// finished (the process died) runs out after IDEMPOTENCY_CLAIM_SECONDS: a retry then answers from the
// transaction that request wrote before calling Daraja (its current state), or, when it wrote none,
// runs the request again. Daraja is never called twice for one key.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// The work a key guards; it passes `key` on to the store so the transaction row it writes is linked to it.
using IdempotentWork = std::function<net::Response(const std::optional<storage::IdempotencyRef>& key)>;

/// Runs `run` at most once per (agency, scope, Idempotency-Key). Without the header, just runs it.
net::Response WithIdempotency(const net::Request& req, const ApiContext& ctx, int64_t agency_id,
                              const std::string& scope, const nlohmann::json& body, const IdempotentWork& run);

}  // namespace haven::api
