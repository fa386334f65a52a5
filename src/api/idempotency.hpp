#pragma once
// Idempotency-Key on POSTs that move money: the first answer is stored and replayed for a retry
// with the same key and body; the same key with a different body is a 422. A claim whose request never
// finished (the process died) runs out after IDEMPOTENCY_CLAIM_SECONDS: a retry then answers from the
// transaction that request wrote before calling Daraja (its current state), or, when it wrote none,
// runs the request again. Daraja is never called twice for one key. Payouts and reversals
// require the header; an STK push takes it when given.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// The work a key guards; it passes `key` on to the store so the transaction row it writes is linked to it, and
/// answers through `reply` (later, e.g. once Daraja has answered).
using IdempotentWork = std::function<void(const std::optional<storage::IdempotencyRef>& key, net::Reply reply)>;

/// Whether a route insists on the header. Payouts and reversals do: a client that retries without a
/// key would pay twice. An STK push only prompts a phone, which its owner can decline, so there it is optional.
enum class IdempotencyKey { kOptional, kRequired };

/// Runs `run` at most once per (agency, scope, Idempotency-Key); the answer it gives is stored for the key before
/// it goes out. Without the header: runs it when the key is optional, answers 400 VALIDATION_ERROR (naming the
/// header) when it is required.
void WithIdempotency(const net::Request& req, const ApiContext& ctx, int64_t agency_id, const std::string& scope,
                     const nlohmann::json& body, const IdempotentWork& run, net::Reply reply,
                     IdempotencyKey rule = IdempotencyKey::kOptional);

}  // namespace haven::api
