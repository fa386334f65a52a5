#include "api/daraja_inbound.hpp"

#include <spdlog/spdlog.h>

#include "api/respond.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

std::optional<int64_t> ExtraId(const json& extra, const char* name) {
    if (extra.is_object() && extra.contains(name) && extra[name].is_number_integer()) return extra[name].get<int64_t>();
    return std::nullopt;
}

/// "callback.stk" -> "payment callback", "result.b2c" -> "b2c result", "timeout.reversal" -> "reversal timeout notice".
std::string InWords(const std::string& kind) {
    if (kind == "callback.stk") return "payment callback";
    const auto dot = kind.find('.');
    if (dot == std::string::npos) return kind;
    const std::string what = kind.substr(dot + 1);
    return kind.rfind("timeout", 0) == 0 ? what + " timeout notice" : what + " result";
}

}  // namespace

net::Response ReceiveFromDaraja(net::Request& req, ApiContext& ctx, const std::string& kind, const net::Response& ack,
                                const InboundApply& apply) {
    auto secret = req.Query("secret");
    if (!secret || !service::ConstantTimeEquals(*secret, ctx.settings.callback_secret)) {
        Audit(ctx, req, std::nullopt, kind, "daraja", "denied: bad secret");
        spdlog::warn("{} refused: missing or wrong secret (request {})", kind, req.request_id);
        return ErrorResponse(ErrorCode::kUnauthenticated, "callback secret missing or wrong");
    }
    // Stored before anything else, so whatever happens next it is never lost or unexplainable.
    auto inbound = ctx.store.StoreInbound(kind, req.body);
    if (!inbound) {
        spdlog::error("{} not stored: {}", kind, inbound.error().message);
        return ErrorResponse(inbound.error());
    }
    // Daraja always sends JSON; do not insist on the header so a proxy that drops it loses nothing.
    json body = json::parse(req.body, nullptr, false);
    core::Result<std::string> applied =
        body.is_discarded() ? core::Fail(core::Error::Validation("body", "the body is not valid JSON"))
                            : apply(body, req.request_id);
    if (applied) {
        if (auto r = ctx.store.SetInboundOutcome(*inbound, *applied); !r) {
            spdlog::error("{} {}: outcome not recorded: {}", kind, *inbound, r.error().message);
        }
        return ack;
    }
    const core::Error& err = applied.error();
    if (err.code != ErrorCode::kValidation && err.code != ErrorCode::kConflict) {
        spdlog::error("{} {} not applied: {}", kind, *inbound, err.message);
        return ErrorResponse(err);
    }
    (void)ctx.store.SetInboundOutcome(*inbound, "rejected: " + err.message);
    storage::ReviewItem item;
    item.agency_id = ExtraId(err.extra, "agencyId");
    item.transaction_id = ExtraId(err.extra, "transactionId");
    item.inbound_id = *inbound;
    item.reason_code = err.code == ErrorCode::kConflict ? "receipt_conflict" : "callback_rejected";
    item.reason = "Daraja's " + InWords(kind) + " failed our checks and changed nothing: " + err.message;
    auto opened = ctx.store.OpenReview(item);
    if (!opened) {
        spdlog::error("{} {}: review item not opened: {}", kind, *inbound, opened.error().message);
        return ErrorResponse(opened.error());
    }
    Audit(ctx, req, std::nullopt, kind, "inbound:" + std::to_string(*inbound), "kept for review: " + err.message);
    spdlog::warn("{} {} kept for review: {}", kind, *inbound, err.message);
    return ack;
}

}  // namespace haven::api
