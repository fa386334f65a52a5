#pragma once
// Errors as values: every expected failure (bad input, not found, conflict, Daraja down) is an
// Error inside a Result<T>. The message is safe to show to API clients.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <tl/expected.hpp>
#include <utility>
#include <vector>

namespace haven::core {

// What each code becomes on the wire is net::ToHttp (net/error_response.cpp), the one mapping; the
// comments repeat it for the reader.
enum class ErrorCode {
    kValidation,           // 400 VALIDATION_ERROR
    kBadJson,              // 400 INVALID_JSON
    kBadRequest,           // 400 BAD_REQUEST (HTTP the server could not parse)
    kUnauthenticated,      // 401 UNAUTHORIZED
    kForbidden,            // 403 FORBIDDEN
    kNotFound,             // 404 NOT_FOUND
    kMethodNotAllowed,     // 405 METHOD_NOT_ALLOWED
    kConflict,             // 409 CONFLICT
    kPayloadTooLarge,      // 413 PAYLOAD_TOO_LARGE
    kUnsupportedMedia,     // 415 UNSUPPORTED_MEDIA_TYPE
    kIdempotencyMismatch,  // 422 IDEMPOTENCY_KEY_REUSED
    kUnprocessable,        // 422 UNPROCESSABLE
    kRateLimited,          // 429 RATE_LIMITED
    kHeadersTooLarge,      // 431 HEADERS_TOO_LARGE
    kInternal,             // 500 INTERNAL_ERROR
    kUpstream,             // 502 DARAJA_ERROR (Daraja answered with its error envelope)
    kUpstreamUnavailable,  // 503 DARAJA_UNAVAILABLE (no answer, timeout, connection refused)
    kUnavailable,          // 503 UNAVAILABLE (the gateway itself cannot take the request now)
    kDarajaBusy,           // 503 DARAJA_BUSY (DARAJA_MAX_IN_FLIGHT requests already wait on Daraja; nothing done)
};

/// One invalid field in a request, listed in error.details.
struct FieldError {
    std::string field;
    std::string message;
};

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;
    std::vector<FieldError> details;  // per-field problems for kValidation
    nlohmann::json extra;             // e.g. Daraja's {errorCode, errorMessage} for kUpstream

    static Error Validation(std::string field, std::string message) {
        Error e{ErrorCode::kValidation, message, {}, nullptr};
        e.details.push_back({std::move(field), std::move(message)});
        return e;
    }
    static Error Make(ErrorCode code, std::string message) { return Error{code, std::move(message), {}, nullptr}; }
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
    return tl::unexpected<Error>(Error::Make(code, std::move(message)));
}
inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

/// Names the transaction an error is about in Error::extra ({"transactionId", "agencyId"}), so whoever keeps
/// the failed input for review can show it on that transaction.
inline Error AboutTransaction(Error e, int64_t transaction_id, int64_t agency_id) {
    e.extra = {{"transactionId", transaction_id}, {"agencyId", agency_id}};
    return e;
}

}  // namespace haven::core
