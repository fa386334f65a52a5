#pragma once
// The one way a body from Daraja (STK callback, Results, queue timeouts) comes in: the secret is checked,
// then one unit of work (one commit) stores the body exactly as received, applies it, records the outcome
// and, when it is refused, opens its review item and audits it; the answer goes out only after that commit
// is on disk. A body that fails our checks (a fractional Amount, a ResultCode that is not an integer, a
// receipt another transaction already has) changes nothing but is kept, put up for review with the
// reason, and acknowledged, because it is on disk and Daraja sending it again cannot make it right. A
// storage failure is not acknowledged (500) and leaves nothing behind, so Daraja may send it again.
// The handler holds no thread while the commit waits (net::AsyncHandler).
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
/// `ack` is the answer Daraja expects for that kind. `reply` is called once, after the commit.
void ReceiveFromDaraja(net::Request& req, net::Reply reply, ApiContext& ctx, const std::string& kind,
                       const net::Response& ack, InboundApply apply);

/// A Daraja-facing route (any Content-Type, kDarajaBody) that answers through ReceiveFromDaraja.
net::AsyncHandler DarajaInbound(ApiContext& ctx, std::string kind, net::Response ack, InboundApply apply);

}  // namespace haven::api
