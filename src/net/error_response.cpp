#include "net/error_response.hpp"

namespace haven::net {

using core::ErrorCode;

HttpError ToHttp(ErrorCode code) {
    switch (code) {
        case ErrorCode::kValidation:
            return {400, "VALIDATION_ERROR"};
        case ErrorCode::kBadJson:
            return {400, "INVALID_JSON"};
        case ErrorCode::kBadRequest:
            return {400, "BAD_REQUEST"};
        case ErrorCode::kUnauthenticated:
            return {401, "UNAUTHORIZED"};
        case ErrorCode::kForbidden:
            return {403, "FORBIDDEN"};
        case ErrorCode::kNotFound:
            return {404, "NOT_FOUND"};
        case ErrorCode::kMethodNotAllowed:
            return {405, "METHOD_NOT_ALLOWED"};
        case ErrorCode::kConflict:
            return {409, "CONFLICT"};
        case ErrorCode::kPayloadTooLarge:
            return {413, "PAYLOAD_TOO_LARGE"};
        case ErrorCode::kUnsupportedMedia:
            return {415, "UNSUPPORTED_MEDIA_TYPE"};
        case ErrorCode::kIdempotencyMismatch:
            return {422, "IDEMPOTENCY_KEY_REUSED"};
        case ErrorCode::kUnprocessable:
            return {422, "UNPROCESSABLE"};
        case ErrorCode::kRateLimited:
            return {429, "RATE_LIMITED"};
        case ErrorCode::kHeadersTooLarge:
            return {431, "HEADERS_TOO_LARGE"};
        case ErrorCode::kInternal:
            return {500, "INTERNAL_ERROR"};
        case ErrorCode::kUpstream:
            return {502, "DARAJA_ERROR"};
        case ErrorCode::kUpstreamUnavailable:
            return {503, "DARAJA_UNAVAILABLE"};
        case ErrorCode::kUnavailable:
            return {503, "UNAVAILABLE"};
        case ErrorCode::kDarajaBusy:
            return {503, "DARAJA_BUSY"};
    }
    return {500, "INTERNAL_ERROR"};
}

Response ErrorResponse(const core::Error& error, std::string_view request_id) {
    const HttpError http = ToHttp(error.code);
    nlohmann::json err = {{"code", http.code}, {"message", error.message}};
    if (!error.details.empty()) {
        nlohmann::json details = nlohmann::json::array();
        for (const auto& d : error.details) details.push_back({{"field", d.field}, {"message", d.message}});
        err["details"] = details;
    }
    if (error.code == ErrorCode::kUpstream && error.extra.is_object()) {
        // Daraja's own words, so a developer can look the code up.
        if (error.extra.contains("errorCode")) err["darajaErrorCode"] = error.extra["errorCode"];
        if (error.extra.contains("errorMessage")) err["darajaErrorMessage"] = error.extra["errorMessage"];
    }
    if (!request_id.empty()) err["request_id"] = request_id;
    Response res = Response::Json(http.status, {{"success", false}, {"error", err}});
    // The gateway cannot take the request now (its database is failing over, a node is overloaded): a client and
    // a load balancer may try again shortly, on this node or another.
    if (error.code == ErrorCode::kUnavailable)
        res.headers["Retry-After"] = std::to_string(kUnavailableRetryAfterSeconds);
    return res;
}

}  // namespace haven::net
