// Money going out and coming back: POST /api/v1/mpesa/b2c, POST /api/v1/mpesa/reverse,
// POST /api/v1/mpesa/transaction-status, and the Daraja-facing result/timeout URLs of each.
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/approvals.hpp"
#include "api/b2c.hpp"
#include "api/bodies.hpp"
#include "api/daraja_inbound.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/idempotency.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/state.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

net::Response NotFoundOr(const core::Error& e, const char* what) {
    if (e.code == ErrorCode::kNotFound) return ErrorResponse(ErrorCode::kNotFound, what);
    return ErrorResponse(e);
}

void B2c(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto read = ReadB2cBody(*body);
    if (!read) return reply(ErrorResponse(read.error()));
    auto pay = [&ctx, &req, caller, body = *body, input = *read, actor = ActorFrom(caller, req)](
                   const auto& key, net::Reply answer) mutable {
        // Above the agency's threshold nothing reaches Daraja: the request waits for a second admin (approvals.hpp).
        if (GateB2c(ctx, req, caller, input, body, answer) == Gate::kAnswered) return;
        input.idempotency = key;
        auto deps = B2cDepsFor(ctx, caller.agency_id);
        if (!deps) return answer(ErrorResponse(deps.error()));
        service::InitiateB2cAsync(input, actor, *deps, AnswerTransfer(std::move(answer), nullptr));
    };
    WithIdempotency(req, ctx, caller.agency_id, "POST /api/v1/mpesa/b2c", *body, pay, std::move(reply),
                    IdempotencyKey::kRequired);
}

void Reverse(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto read = ReadReversalBody(*body);
    if (!read) return reply(ErrorResponse(read.error()));
    auto reverse = [&ctx, &req, caller, body = *body, input = *read, actor = ActorFrom(caller, req)](
                       const auto& key, net::Reply answer) mutable {
        if (GateReversal(ctx, req, caller, input, body, answer) == Gate::kAnswered) return;
        input.idempotency = key;
        // Which payments may be reversed is the reversal use case's rule (service/reversal_service.cpp).
        auto deps = B2cDepsFor(ctx, caller.agency_id);
        if (!deps) return answer(ErrorResponse(deps.error()));
        service::InitiateReversalAsync(input, actor, *deps,
                                       AnswerTransfer(std::move(answer), "no transaction with this id"));
    };
    WithIdempotency(req, ctx, caller.agency_id, "POST /api/v1/mpesa/reverse", *body, reverse, std::move(reply),
                    IdempotencyKey::kRequired);
}

json StatusQueryJson(const storage::StatusQuery& q) {
    return {{"id", q.id},
            {"transactionId", q.transaction_id ? json(*q.transaction_id) : json(nullptr)},
            {"status", core::ToString(q.status)},
            {"receipt", q.receipt.empty() ? json(nullptr) : json(q.receipt)},
            {"conversationId", q.conversation_id.empty() ? json(nullptr) : json(q.conversation_id)},
            {"resultCode", ResultCodeJson(q.result_code)},
            {"resultDescription", q.result_desc.empty() ? json(nullptr) : json(q.result_desc)},
            {"transactionStatus", q.transaction_status.empty() ? json(nullptr) : json(q.transaction_status)},
            {"createdAt", Instant(q.created_at)},
            {"updatedAt", Instant(q.updated_at)}};
}

void TransactionStatus(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto id = body->contains("transactionId") ? IdField((*body)["transactionId"]) : std::nullopt;
    if (!id) {
        return reply(ErrorResponse(core::Error::Validation("transactionId", "transactionId must be a transaction id")));
    }
    auto deps = B2cDepsFor(ctx, caller.agency_id);
    if (!deps) return reply(ErrorResponse(deps.error()));
    service::QueryTransactionStatusAsync(caller.agency_id, *id, ActorFrom(caller, req).user_id, *deps,
                                         [reply = std::move(reply)](core::Result<storage::StatusQuery> out) {
                                             if (!out)
                                                 return reply(NotFoundOr(out.error(), "no transaction with this id"));
                                             reply(Ok(StatusQueryJson(*out)));
                                         });
}

}  // namespace

std::function<void(core::Result<storage::Transfer>)> AnswerTransfer(net::Reply reply, const char* not_found) {
    return [reply = std::move(reply), not_found](core::Result<storage::Transfer> out) {
        if (!out) return reply(not_found ? NotFoundOr(out.error(), not_found) : ErrorResponse(out.error()));
        json data = TransferJson(*out);
        data["transactionId"] = out->id;
        reply(Ok(data));
    };
}

service::ResultUrls ResultUrlsFor(const ApiContext& ctx) {
    auto url = [&](const char* path) { return DarajaHookUrl(ctx, path); };
    return {url("b2c/result"),
            url("b2c/timeout"),
            url("reversal/result"),
            url("reversal/timeout"),
            url("balance/result"),
            url("balance/timeout"),
            url("transaction-status/result"),
            url("transaction-status/timeout")};
}

service::B2cDeps B2cDepsFor(ApiContext& ctx) { return {ctx.store, ctx.daraja, ResultUrlsFor(ctx)}; }

core::Result<service::B2cDeps> B2cDepsFor(ApiContext& ctx, int64_t agency_id) {
    auto client = ctx.DarajaFor(agency_id);
    if (!client) return tl::unexpected(client.error());
    return service::B2cDeps{ctx.store, **client, ResultUrlsFor(ctx), *client};
}

json ResultCodeJson(const std::string& code) {
    if (code.empty()) return nullptr;
    if (code.size() < 10 && code.find_first_not_of("0123456789") == std::string::npos) return std::stoll(code);
    return code;
}

json TransferJson(const storage::Transfer& t) {
    auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    json out = {{"id", t.id},
                {"kind", core::ToString(t.kind)},
                {"type", t.type},
                {"commandId", t.command_id},
                {"status", core::ToString(t.status)},
                {"amount", t.amount},
                {"phoneNumber", t.phone_number},
                {"remarks", t.remarks},
                {"occasion", text(t.occasion)},
                {"reason", text(t.reason)},
                {"originalTransactionId", t.original_transaction_id ? json(*t.original_transaction_id) : json(nullptr)},
                {"originalReceipt", text(t.original_receipt)},
                {"originatorConversationId", text(t.originator_conversation_id)},
                {"conversationId", text(t.conversation_id)},
                {"mpesaReceiptNumber", text(t.mpesa_receipt_number)},
                {"resultCode", ResultCodeJson(t.result_code)},
                {"resultDescription", text(t.result_desc)},
                {"completedAt", Instant(t.completed_at)},
                {"createdAt", Instant(t.created_at)},
                {"updatedAt", Instant(t.updated_at)}};
    AddReviewFields(out, t.review_reason, t.reconciliation, t.status);
    return out;
}

void RegisterB2cRoutes(net::Router& router, ApiContext& ctx) {
    // Routes that wait on Daraja: bounded by DARAJA_MAX_IN_FLIGHT, holding no thread while Daraja answers.
    using Fn = void (*)(net::Request&, const Caller&, ApiContext&, net::Reply);
    auto calls_daraja = [&ctx](const char* action, Guard guard, Fn handler) {
        return Accepts(
            kJsonBody,
            CallsDaraja(ctx,
                        Audited(ctx, action,
                                AuthedAsync(ctx, std::move(guard),
                                            [&ctx, handler](net::Request& req, const Caller& caller, net::Reply reply) {
                                                handler(req, caller, ctx, std::move(reply));
                                            }))));
    };
    const Guard admin_sends{{Role::kAdmin}, "only an agency admin may send money"};
    const Guard admin_reverses{{Role::kAdmin}, "only an agency admin may reverse a payment"};
    router.AddAsync("POST", "/api/v1/mpesa/b2c", calls_daraja("b2c.initiate", admin_sends, B2c));
    router.AddAsync("POST", "/api/v1/mpesa/reverse", calls_daraja("reversal.initiate", admin_reverses, Reverse));
    router.AddAsync("POST", "/api/v1/mpesa/transaction-status",
                    calls_daraja("status.query", kStaff, TransactionStatus));

    // Daraja's Result and queue-timeout URLs (daraja_inbound.hpp).
    using Apply = core::Result<service::ResultOutcome> (*)(const json&, const std::string&, service::B2cDeps);
    auto from_daraja = [&](const char* path, const char* kind, Apply apply) {
        AddDarajaRoute(router, ctx, std::string("/api/v1/mpesa/") + path, kind, DarajaAck::kResult,
                       [&ctx, apply](const json& body, const std::string& request_id) {
                           return apply(body, request_id, B2cDepsFor(ctx));
                       });
    };
    from_daraja("b2c/result", "result.b2c", [](const json& b, const std::string& id, service::B2cDeps d) {
        return service::ApplyTransferResult(core::TxKind::kB2c, b, id, d);
    });
    from_daraja("b2c/timeout", "timeout.b2c", [](const json& b, const std::string& id, service::B2cDeps d) {
        return service::ApplyTransferTimeout(core::TxKind::kB2c, b, id, d);
    });
    from_daraja("reversal/result", "result.reversal", [](const json& b, const std::string& id, service::B2cDeps d) {
        return service::ApplyTransferResult(core::TxKind::kReversal, b, id, d);
    });
    from_daraja("reversal/timeout", "timeout.reversal", [](const json& b, const std::string& id, service::B2cDeps d) {
        return service::ApplyTransferTimeout(core::TxKind::kReversal, b, id, d);
    });
    from_daraja("transaction-status/result", "result.status", service::ApplyStatusResult);
    from_daraja("transaction-status/timeout", "timeout.status", service::ApplyStatusTimeout);
}

}  // namespace haven::api
