#include "api/respond.hpp"

#include "api/accepts.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

int HttpStatus(ErrorCode code) {
    switch (code) {
        case ErrorCode::kValidation: return 400;
        case ErrorCode::kBadJson: return 400;
        case ErrorCode::kUnauthenticated: return 401;
        case ErrorCode::kForbidden: return 403;
        case ErrorCode::kNotFound: return 404;
        case ErrorCode::kMethodNotAllowed: return 405;
        case ErrorCode::kConflict: return 409;
        case ErrorCode::kPayloadTooLarge: return 413;
        case ErrorCode::kUnsupportedMedia: return 415;
        case ErrorCode::kIdempotencyMismatch: return 422;
        case ErrorCode::kUnprocessable: return 422;
        case ErrorCode::kRateLimited: return 429;
        case ErrorCode::kInternal: return 500;
        case ErrorCode::kUpstream: return 502;
        case ErrorCode::kUpstreamUnavailable: return 503;
        case ErrorCode::kDarajaBusy: return 503;
    }
    return 500;
}

std::string_view PublicCode(ErrorCode code) {
    switch (code) {
        case ErrorCode::kValidation: return "VALIDATION_ERROR";
        case ErrorCode::kBadJson: return "INVALID_JSON";
        case ErrorCode::kUnauthenticated: return "UNAUTHORIZED";
        case ErrorCode::kForbidden: return "FORBIDDEN";
        case ErrorCode::kNotFound: return "NOT_FOUND";
        case ErrorCode::kMethodNotAllowed: return "METHOD_NOT_ALLOWED";
        case ErrorCode::kConflict: return "CONFLICT";
        case ErrorCode::kPayloadTooLarge: return "PAYLOAD_TOO_LARGE";
        case ErrorCode::kUnsupportedMedia: return "UNSUPPORTED_MEDIA_TYPE";
        case ErrorCode::kIdempotencyMismatch: return "IDEMPOTENCY_KEY_REUSED";
        case ErrorCode::kUnprocessable: return "UNPROCESSABLE";
        case ErrorCode::kRateLimited: return "RATE_LIMITED";
        case ErrorCode::kInternal: return "INTERNAL_ERROR";
        case ErrorCode::kUpstream: return "DARAJA_ERROR";
        case ErrorCode::kUpstreamUnavailable: return "DARAJA_UNAVAILABLE";
        case ErrorCode::kDarajaBusy: return "DARAJA_BUSY";
    }
    return "INTERNAL_ERROR";
}

net::Response Ok(const json& data, int status) { return Ok(json(data), status); }

net::Response Ok(json&& data, int status) {
    json body = json::object();
    body["success"] = true;
    body["data"] = std::move(data);
    return net::Response::Json(status, body);
}

net::Response ErrorResponse(const core::Error& error) {
    json err = {{"code", PublicCode(error.code)}, {"message", error.message}};
    if (!error.details.empty()) {
        json details = json::array();
        for (const auto& d : error.details) details.push_back({{"field", d.field}, {"message", d.message}});
        err["details"] = details;
    }
    if (error.code == ErrorCode::kUpstream && error.extra.is_object()) {
        // Daraja's own words, so a developer can look the code up.
        if (error.extra.contains("errorCode")) err["darajaErrorCode"] = error.extra["errorCode"];
        if (error.extra.contains("errorMessage")) err["darajaErrorMessage"] = error.extra["errorMessage"];
    }
    return net::Response::Json(HttpStatus(error.code), {{"success", false}, {"error", err}});
}

net::Response ErrorResponse(ErrorCode code, const std::string& message) {
    return ErrorResponse(core::Error::Make(code, message));
}

core::Result<json> ParseJsonBody(const net::Request& req) {
    // Also checked here, so a JSON route that forgot to declare Accepts(kJsonBody, ...) is still strict.
    if (auto type = CheckContentType(req, kJsonBody); !type) return core::Fail(type.error());
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return core::Fail(ErrorCode::kBadJson, "the request body is not valid JSON");
    if (!body.is_object()) return core::Fail(ErrorCode::kBadJson, "the request body must be a JSON object");
    return body;
}

}  // namespace haven::api
