#pragma once
// The one way a body from Daraja (STK callback, Results, queue timeouts) comes in: the secret is checked,
// then one unit of work (one commit) stores the body exactly as received, applies it, records the outcome
// and, when it is refused, opens its review item and audits it; the answer goes out only after that commit
// is on disk. A body that fails our checks (a fractional Amount, a ResultCode that is not an integer, a
// receipt another transaction already has) changes nothing but is kept, put up for review with the
// reason, and acknowledged, because it is on disk and Daraja sending it again cannot make it right. A
// storage failure is not acknowledged (500) and leaves nothing behind, so Daraja may send it again.
// The handler holds no thread while the commit waits (net::AsyncHandler).
//
// A route Daraja calls is registered in one line, naming what it is, how the body is applied and how Daraja
// expects to be answered:
//   AddDarajaRoute(router, ctx, "/api/v1/mpesa/b2c/result", "result.b2c", DarajaAck::kResult,
//                  [&ctx](const json& body, const std::string& request_id) { return service::Apply...(...); });
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "api/context.hpp"
#include "net/http.hpp"
#include "net/router.hpp"

namespace haven::api {

/// Every route Daraja calls has two paths: the seed's `/api/v1/mpesa/<path>?secret=<secret>` and the neutral
/// `/hooks/daraja/<secret>/<path>` that the gateway hands to Daraja (Daraja refuses URLs with "mpesa" in them,
/// REFERENCE §9.1). Both carry the same callback secret.
inline constexpr std::string_view kDarajaSeedPrefix = "/api/v1/mpesa/";

/// True when the request carries our callback secret, compared in constant time: in the path under
/// /hooks/daraja/, else as ?secret=. The one check of it: the Daraja routes refuse a body without it, and the rate
/// limiter lets a request with it through (it reads the path itself: it runs before routing).
bool HasCallbackSecret(const net::Request& req, std::string_view secret);

/// The URL Daraja is given for `path` (the part after /api/v1/mpesa/: "callback", "b2c/result",
/// "c2b/confirmation"): <PUBLIC_BASE_URL>/hooks/daraja/<secret>/<path>.
/// (core::DarajaHookUrl with this gateway's settings.)
std::string DarajaHookUrl(const ApiContext& ctx, std::string_view path);

/// The route pattern of the neutral form of a seed path: "/api/v1/mpesa/b2c/result" ->
/// "/hooks/daraja/{secret}/b2c/result".
std::string DarajaHookPattern(std::string_view seed_path);

/// Registers a route Daraja calls under both of its paths (seed_path must start with /api/v1/mpesa/), on Daraja's
/// lane. The handler checks the secret itself (HasCallbackSecret): for a route that does not store its body through
/// AddDarajaRoute, such as C2B validation.
void AddDarajaFacing(net::Router& router, const std::string& seed_path, net::Handler handler);
void AddDarajaFacing(net::Router& router, const std::string& seed_path, net::AsyncHandler handler);

/// The answer Daraja expects once a body is safely stored: the STK callback's {"ResultCode":0,...}, or the
/// {"ResponseCode":"00000000",...} of the Result and queue-timeout URLs (B2C, reversal, status, balance).
enum class DarajaAck { kStkCallback, kResult };
const net::Response& AckFor(DarajaAck ack);

/// What applying one body did ("applied", "duplicate", "unmatched"), or why it was refused: kValidation or
/// kConflict keep it for review (core::AboutTransaction names the transaction it is about); other errors are
/// failures.
using InboundApply =
    std::function<core::Result<std::string>(const nlohmann::json& body, const std::string& request_id)>;

/// The word stored as an applied body's outcome: "unmatched" (no row has its id), "applied" (the state changed
/// now) or "duplicate" (it had changed already).
std::string InboundOutcome(bool matched, bool applied);

/// `kind` names the route in the audit log and the stored body ("callback.stk", "result.b2c", ...);
/// `ack` is the answer Daraja expects for that kind. `reply` is called once, after the commit.
void ReceiveFromDaraja(net::Request& req, net::Reply reply, ApiContext& ctx, const std::string& kind, DarajaAck ack,
                       InboundApply apply);

/// A Daraja-facing route (any Content-Type, kDarajaBody) that answers through ReceiveFromDaraja.
net::AsyncHandler DarajaInbound(ApiContext& ctx, std::string kind, DarajaAck ack, InboundApply apply);

/// Registers POST `path` (and its /hooks/daraja/{secret}/ form) as a route Daraja calls, on Daraja's own lane.
/// `apply(body, request_id)` is the use case that parses and applies the body (service::ApplyStkCallback,
/// ApplyTransferResult, ...): it returns a Result of an outcome with `matched` and `applied`, or the error that refuses
/// the body.
template <class Apply>
void AddDarajaRoute(net::Router& router, ApiContext& ctx, std::string path, std::string kind, DarajaAck ack,
                    Apply apply) {
    InboundApply as_outcome = [apply = std::move(apply)](const nlohmann::json& body,
                                                         const std::string& request_id) -> core::Result<std::string> {
        auto applied = apply(body, request_id);
        if (!applied) return core::Fail(applied.error());
        return InboundOutcome(applied->matched, applied->applied);
    };
    AddDarajaFacing(router, path, DarajaInbound(ctx, std::move(kind), ack, std::move(as_outcome)));
}

}  // namespace haven::api
