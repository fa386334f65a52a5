#pragma once
// The {"success":...} envelopes every route answers with. What an ErrorCode becomes on the wire (status,
// public code, error envelope) is net::ToHttp / net::ErrorResponse (net/error_response.hpp), shared with
// the server's own answers.
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "net/error_response.hpp"
#include "net/http.hpp"

namespace haven::api {

net::Response Ok(const nlohmann::json& data, int status = 200);
/// Same, moving a large `data` (a page of transactions) into the envelope instead of copying it.
net::Response Ok(nlohmann::json&& data, int status = 200);
net::Response ErrorResponse(const core::Error& error);
net::Response ErrorResponse(core::ErrorCode code, const std::string& message);

/// Parses a JSON object body: 415 unless the Content-Type meets kJsonBody (accepts.hpp), 400 INVALID_JSON
/// when malformed or not an object.
core::Result<nlohmann::json> ParseJsonBody(const net::Request& req);

}  // namespace haven::api
