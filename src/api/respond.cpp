#include "api/respond.hpp"

#include "api/accepts.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

net::Response Ok(const json& data, int status) { return Ok(json(data), status); }

net::Response Ok(json&& data, int status) {
    json body = json::object();
    body["success"] = true;
    body["data"] = std::move(data);
    return net::Response::Json(status, body);
}

net::Response ErrorResponse(const core::Error& error) { return net::ErrorResponse(error); }

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
