#pragma once
// The one mapping from core::ErrorCode to what a client sees (STYLE.md, errors): the HTTP status, the
// public code string, and the {"success":false,"error":{...}} envelope. api/respond and the server's own
// answers (404, 405, 413, 429, 500, ...) both come through here, so a code means one thing on the wire.
#include <string_view>

#include "core/error.hpp"
#include "net/http.hpp"

namespace haven::net {

struct HttpError {
    int status;             // 404
    std::string_view code;  // "NOT_FOUND": clients match on it, so never rename one
};

/// Exhaustive over ErrorCode (-Wswitch): a new code must say here what it becomes.
HttpError ToHttp(core::ErrorCode code);

/// Retry-After of every kUnavailable answer (503 UNAVAILABLE): long enough for a database failover's first steps,
/// short enough that a client retrying through a load balancer reaches a healthy node soon.
inline constexpr int kUnavailableRetryAfterSeconds = 2;

/// {"success":false,"error":{"code","message"}} with the status ToHttp gives, plus "details" (per-field
/// problems), Daraja's "darajaErrorCode"/"darajaErrorMessage" for kUpstream, and "request_id" when given.
/// kUnavailable answers carry Retry-After (kUnavailableRetryAfterSeconds).
Response ErrorResponse(const core::Error& error, std::string_view request_id = {});

}  // namespace haven::net
