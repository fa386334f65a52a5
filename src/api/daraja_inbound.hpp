#pragma once
// The one way a body from Daraja (STK callback, Results, queue timeouts) comes in: the secret is checked,
// the body is stored exactly as received, then applied, and only then acknowledged. A body that fails our
// checks (a fractional Amount, a ResultCode that is not an integer, a receipt another transaction already
// has) changes nothing: it is kept, put up for review with the reason, and acknowledged, because it is on
// disk and Daraja sending it again cannot make it right. A storage failure is not acknowledged (500), so
// Daraja may send it again.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/context.hpp"
#include "net/http.hpp"

namespace haven::api {

/// What applying one body did ("applied", "duplicate", "unmatched"), or why it was refused: kValidation or
/// kConflict keep it for review (core::AboutTransaction names the transaction it is about); other errors are
/// failures.
using InboundApply = std::function<core::Result<std::string>(const nlohmann::json& body, const std::string& request_id)>;

/// `kind` names the route in the audit log and the stored body ("callback.stk", "result.b2c", ...);
/// `ack` is the answer Daraja expects for that kind.
net::Response ReceiveFromDaraja(net::Request& req, ApiContext& ctx, const std::string& kind, const net::Response& ack,
                                const InboundApply& apply);

}  // namespace haven::api
