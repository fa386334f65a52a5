#include "api/daraja_inbound.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "api/accepts.hpp"
#include "api/respond.hpp"
#include "core/daraja_url.hpp"
#include "net/target.hpp"

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

bool HasCallbackSecret(const net::Request& req, std::string_view secret) {
    if (auto in_path = net::DarajaHookSecret(req.path)) return service::ConstantTimeEquals(*in_path, secret);
    auto given = req.Query("secret");
    return given && service::ConstantTimeEquals(*given, secret);
}

std::string DarajaHookUrl(const ApiContext& ctx, std::string_view path) {
    return core::DarajaHookUrl(ctx.settings.public_base_url, ctx.settings.callback_secret, path);
}

std::string DarajaHookPattern(std::string_view seed_path) {
    if (seed_path.substr(0, kDarajaSeedPrefix.size()) != kDarajaSeedPrefix) {
        throw std::invalid_argument("a Daraja route lives under /api/v1/mpesa/: " + std::string(seed_path));
    }
    return std::string(net::kDarajaHookPrefix) + "{secret}/" + std::string(seed_path.substr(kDarajaSeedPrefix.size()));
}

void AddDarajaFacing(net::Router& router, const std::string& seed_path, net::Handler handler) {
    router.Add("POST", DarajaHookPattern(seed_path), handler, net::Lane::kDaraja);
    router.Add("POST", seed_path, std::move(handler), net::Lane::kDaraja);
}

void AddDarajaFacing(net::Router& router, const std::string& seed_path, net::AsyncHandler handler) {
    router.AddAsync("POST", DarajaHookPattern(seed_path), handler, net::Lane::kDaraja);
    router.AddAsync("POST", seed_path, std::move(handler), net::Lane::kDaraja);
}

const net::Response& AckFor(DarajaAck ack) {
    static const net::Response kStkCallback = net::Response::Json(200, {{"ResultCode", 0}, {"ResultDesc", "Accepted"}});
    static const net::Response kResult =
        net::Response::Json(200, {{"ResponseCode", "00000000"}, {"ResponseDesc", "success"}});
    switch (ack) {
        case DarajaAck::kStkCallback:
            return kStkCallback;
        case DarajaAck::kResult:
            return kResult;
    }
    return kResult;
}

std::string InboundOutcome(bool matched, bool applied) {
    return !matched ? "unmatched" : applied ? "applied" : "duplicate";
}

void ReceiveFromDaraja(net::Request& req, net::Reply reply, ApiContext& ctx, const std::string& kind,
                       DarajaAck ack_kind, InboundApply apply) {
    if (!HasCallbackSecret(req, ctx.settings.callback_secret)) {
        Audit(ctx, req, std::nullopt, kind, "daraja", "denied: bad secret");
        spdlog::warn("{} refused: missing or wrong secret (request {})", kind, req.request_id);
        return reply(ErrorResponse(ErrorCode::kUnauthenticated, "callback secret missing or wrong"));
    }
    // What the unit decided to answer, and what to log once it is committed.
    struct Outcome {
        std::optional<net::Response> answer;
        std::string review_note;  // set when the body was kept for review
        int64_t inbound = 0;
    };
    auto out = std::make_shared<Outcome>();
    const net::Response& ack = AckFor(ack_kind);
    auto unit = [&req, &ctx, kind, ack, apply = std::move(apply), out](storage::Store& store) -> core::Result<void> {
        // Stored first, so whatever happens next it is never unexplainable; it is committed with the rest.
        auto inbound = store.StoreInbound(kind, req.body);
        if (!inbound) return core::Fail(inbound.error());
        out->inbound = *inbound;
        // Daraja always sends JSON; the header is not insisted on (a proxy may drop it), the body is.
        // Something that is not JSON at all is no Daraja message: kept, refused, nothing for a person to settle.
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded()) {
            if (auto r = store.SetInboundOutcome(*inbound, "rejected: not valid JSON"); !r) return r;
            out->answer = ErrorResponse(ErrorCode::kBadJson, "the body is not valid JSON");
            return {};
        }
        // Applied in a savepoint of its own: a refusal takes back only what the apply wrote.
        core::Result<std::string> applied = core::Fail(ErrorCode::kInternal, "not applied");
        auto inner = store.Atomically([&](storage::Store&) -> core::Result<void> {
            applied = apply(body, req.request_id);
            if (!applied) return core::Fail(applied.error());
            return {};
        });
        if (!inner && applied) return inner;  // the savepoint itself failed: the transaction is gone
        if (applied) {
            if (auto r = store.SetInboundOutcome(*inbound, *applied); !r) return r;
            out->answer = ack;
            return {};
        }
        const core::Error& err = applied.error();
        if (err.code != ErrorCode::kValidation && err.code != ErrorCode::kConflict) return core::Fail(err);
        if (auto r = store.SetInboundOutcome(*inbound, "rejected: " + err.message); !r) return r;
        storage::ReviewItem item;
        item.agency_id = ExtraId(err.extra, "agencyId");
        item.transaction_id = ExtraId(err.extra, "transactionId");
        item.inbound_id = *inbound;
        item.reason_code = err.code == ErrorCode::kConflict ? "receipt_conflict" : "callback_rejected";
        item.reason = "Daraja's " + InWords(kind) + " failed our checks and changed nothing: " + err.message;
        if (auto opened = store.OpenReview(item); !opened) return core::Fail(opened.error());
        Audit(ctx, req, std::nullopt, kind, "inbound:" + std::to_string(*inbound), "kept for review: " + err.message);
        out->review_note = err.message;
        out->answer = ack;
        return {};
    };
    ctx.store.AtomicallyAsync(std::move(unit), [reply = std::move(reply), kind, out](core::Result<void> committed) {
        if (!committed) {
            spdlog::error("{} not stored: {}", kind, committed.error().message);
            return reply(ErrorResponse(committed.error()));
        }
        if (!out->review_note.empty()) spdlog::warn("{} {} kept for review: {}", kind, out->inbound, out->review_note);
        reply(std::move(*out->answer));
    });
}

net::AsyncHandler DarajaInbound(ApiContext& ctx, std::string kind, DarajaAck ack, InboundApply apply) {
    return [&ctx, kind = std::move(kind), ack, apply = std::move(apply)](net::Request& req, net::Reply reply) {
        if (auto typed = CheckContentType(req, kDarajaBody); !typed) return reply(ErrorResponse(typed.error()));
        ReceiveFromDaraja(req, std::move(reply), ctx, kind, ack, apply);
    };
}

}  // namespace haven::api
