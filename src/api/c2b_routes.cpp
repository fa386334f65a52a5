// C2B (paybill and till): Daraja's confirmation and validation URLs, and the unmatched queue staff work through:
// GET /api/v1/c2b/unmatched, POST /api/v1/c2b/payments/{id}/assign, POST /api/v1/c2b/payments/{id}/refund.
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/b2c.hpp"
#include "api/bodies.hpp"
#include "api/c2b.hpp"
#include "api/daraja_inbound.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "service/c2b_service.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

/// How long validation may look for the account before it answers what the registered ResponseType says.
constexpr std::chrono::milliseconds kValidationDeadline{2000};

net::Response Accept() { return net::Response::Json(200, {{"ResultCode", "0"}, {"ResultDesc", "Accepted"}}); }
net::Response Reject(const char* code) {
    return net::Response::Json(200, {{"ResultCode", code}, {"ResultDesc", "Rejected"}});
}

/// Validation: answered from the lease table within the deadline; after it, what Daraja would do anyway.
void Validate(net::Request& req, ApiContext& ctx, net::Reply reply) {
    if (!HasCallbackSecret(req, ctx.settings.callback_secret)) {
        spdlog::warn("validation.c2b refused: missing or wrong secret (request {})", req.request_id);
        return reply(ErrorResponse(ErrorCode::kUnauthenticated, "callback secret missing or wrong"));
    }
    json body = json::parse(req.body, nullptr, false);
    auto input = service::ParseC2bBody(body);
    if (!input) {
        spdlog::warn("validation.c2b {}: rejected, {}", req.request_id, input.error().message);
        const bool amount = input.error().message.rfind("TransAmount", 0) == 0;
        return reply(Reject(amount ? "C2B00013" : "C2B00016"));
    }
    const service::C2bConfig config = C2bConfigFor(ctx);
    auto answered = std::make_shared<std::atomic<bool>>(false);
    if (ctx.runtime) {
        // On the I/O thread: when the database is what is slow, every worker may be waiting on it.
        ctx.runtime->OnIoAfter(kValidationDeadline, [reply, answered, config, trans_id = input->trans_id]() mutable {
            if (answered->exchange(true)) return;
            const bool accept = config.defaults.response_type != "Cancelled";
            spdlog::warn("validation.c2b {}: no answer from the database within {} ms, answered {} (ResponseType {})",
                         trans_id, kValidationDeadline.count(), accept ? "accept" : "reject",
                         config.defaults.response_type);
            reply(accept ? Accept() : Reject("C2B00016"));
        });
    }
    auto decide = [&ctx, reply, answered, config, in = *input]() mutable {
        auto accept = service::DecideC2bValidation(ctx.store, in, config);
        if (answered->exchange(true)) return;  // the deadline answered already
        if (!accept) {
            spdlog::error("validation.c2b {}: {}; answered by ResponseType {}", in.trans_id, accept.error().message,
                          config.defaults.response_type);
            return reply(config.defaults.response_type == "Cancelled" ? Reject("C2B00016") : Accept());
        }
        if (!*accept) spdlog::info("validation.c2b {}: account matches no lease, rejected", in.trans_id);
        reply(*accept ? Accept() : Reject("C2B00012"));
    };
    if (ctx.runtime)
        ctx.runtime->Post(std::move(decide));
    else
        decide();
}

net::Response Unmatched(net::Request& req, const Caller& caller, ApiContext& ctx) {
    storage::C2bFilter filter;
    filter.agency_id = caller.agency_id;
    filter.status = "unmatched";
    filter.limit = 200;
    if (auto cursor = req.Query("cursor")) {
        filter.before_id = core::ParseId(*cursor);
        if (!filter.before_id) return ErrorResponse(core::Error::Validation("cursor", "cursor must be a positive id"));
    }
    auto rows = ctx.store.ListC2bPayments(filter);
    if (!rows) return ErrorResponse(rows.error());
    json items = json::array();
    for (const auto& p : *rows) items.push_back(C2bJson(p));
    json data = json::object();
    data["items"] = std::move(items);
    data["nextCursor"] =
        static_cast<int>(rows->size()) == filter.limit ? json(std::to_string(rows->back().id)) : json(nullptr);
    return Ok(std::move(data));
}

net::Response Assign(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no C2B payment with this id");
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto lease_id = IdField(body->value("leaseId", json()));
    if (!lease_id) return ErrorResponse(core::Error::Validation("leaseId", "leaseId must be a lease's id"));
    auto assigned = ctx.store.AssignC2bPayment(caller.agency_id, *id, *lease_id, ActorFrom(caller, req).name);
    if (!assigned) {
        if (assigned.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, assigned.error().message == "lease not found"
                                                           ? "no lease with this leaseId"
                                                           : "no C2B payment with this id");
        }
        return ErrorResponse(assigned.error());
    }
    json out = C2bJson(assigned->payment);
    if (assigned->lease_payment) out["payment"] = PaymentJson(*assigned->lease_payment, "");
    return Ok(std::move(out));
}

void Refund(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return reply(ErrorResponse(ErrorCode::kNotFound, "no C2B payment with this id"));
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto raw = body->value("phoneNumber", json());
    if (!raw.is_string()) {
        return reply(ErrorResponse(core::Error::Validation("phoneNumber", "phoneNumber is the payer's number")));
    }
    auto phone = core::NormalizePhone(raw.get<std::string>());
    if (!phone) return reply(ErrorResponse(core::Error::Validation("phoneNumber", phone.error().message)));
    auto payment = ctx.store.FindC2bPayment(caller.agency_id, *id);
    if (!payment) {
        if (payment.error().code == ErrorCode::kNotFound)
            return reply(ErrorResponse(ErrorCode::kNotFound, "no C2B payment with this id"));
        return reply(ErrorResponse(payment.error()));
    }
    if (payment->status != "unmatched") {
        return reply(ErrorResponse(ErrorCode::kConflict, "this payment is already " + payment->status));
    }
    // Money goes only to the number that paid: v1 proves it by hash, v2 by the digits the mask shows.
    if (!service::PayerMatches(*payment, *phone)) {
        return reply(ErrorResponse(core::Error::Validation(
            "phoneNumber", payment->api_version == 1 ? "this is not the number that paid"
                                                     : "this number does not agree with the payer's masked number")));
    }
    service::B2cInput input;
    input.phone_number = *phone;
    input.amount = payment->amount;
    input.type = "refund";
    input.remarks = "Refund " + payment->trans_id;
    input.c2b_refund_of = payment->id;
    // Sent on the agency's own account (the paybill that received the payment), as every payout of the agency.
    auto deps = B2cDepsFor(ctx, caller.agency_id);
    if (!deps) return reply(ErrorResponse(deps.error()));
    service::InitiateB2cAsync(input, ActorFrom(caller, req), *deps,
                              AnswerTransfer(std::move(reply), "no C2B payment with this id"));
}

}  // namespace

service::C2bConfig C2bConfigFor(const ApiContext& ctx) {
    service::C2bConfig c;
    c.global_shortcode = ctx.settings.shortcode;
    c.global_till = ctx.settings.till_number;
    c.defaults = ctx.settings.c2b_defaults;
    return c;
}

json C2bJson(const storage::C2bPayment& p) {
    auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    return {{"id", p.id},
            {"kind", "c2b"},
            {"source", "c2b"},
            {"status", "SUCCESS"},
            {"matchStatus", p.status},
            {"matchedBy", text(p.matched_by)},
            {"leaseId", p.lease_id ? json(*p.lease_id) : json(nullptr)},
            {"amount", p.amount},
            {"mpesaReceiptNumber", p.trans_id},
            {"accountNumber", p.bill_ref_number},
            {"transactionType", p.transaction_type},
            {"businessShortCode", p.business_shortcode},
            {"apiVersion", p.api_version},
            // v1 carries only a hash of the number: never shown; v2's masked form is.
            {"payerPhone", p.api_version == 1 ? json(nullptr) : text(p.msisdn)},
            {"payerName", text(p.payer_name)},
            {"refundTransferId", p.refund_transfer_id ? json(*p.refund_transfer_id) : json(nullptr)},
            {"needsReview", p.status == "unmatched"},
            {"completedAt", Instant(p.completed_at)},
            {"createdAt", Instant(p.created_at)}};
}

void RegisterC2bRoutes(net::Router& router, ApiContext& ctx) {
    AddDarajaRoute(router, ctx, "/api/v1/mpesa/c2b/confirmation", "confirmation.c2b", DarajaAck::kStkCallback,
                   [&ctx](const json& body, const std::string&) -> core::Result<service::C2bRecordOutcome> {
                       auto input = service::ParseC2bBody(body);
                       if (!input) return core::Fail(input.error());
                       return service::RecordC2bPayment(ctx.store, *input, C2bConfigFor(ctx));
                   });
    // Also at /hooks/daraja/<secret>/c2b/validation, the neutral URL registration hands Daraja.
    AddDarajaFacing(
        router, "/api/v1/mpesa/c2b/validation",
        net::AsyncHandler([&ctx](net::Request& req, net::Reply reply) { Validate(req, ctx, std::move(reply)); }));

    router.Add("GET", "/api/v1/c2b/unmatched",
               Authed(ctx, kStaff, [&ctx](net::Request& req, const Caller& c) { return Unmatched(req, c, ctx); }));
    router.Add(
        "POST", "/api/v1/c2b/payments/{id}/assign",
        Audited(ctx, "c2b.assign",
                Authed(ctx, Guard{{Role::kAdmin, Role::kManager}, "only admins and managers may assign a payment"},
                       [&ctx](net::Request& req, const Caller& c) { return Assign(req, c, ctx); })));
    router.AddAsync(
        "POST", "/api/v1/c2b/payments/{id}/refund",
        Accepts(kJsonBody,
                CallsDaraja(ctx, Audited(ctx, "c2b.refund",
                                         AuthedAsync(ctx, Guard{{Role::kAdmin}, "only an agency admin may send money"},
                                                     [&ctx](net::Request& req, const Caller& c, net::Reply reply) {
                                                         Refund(req, c, ctx, std::move(reply));
                                                     })))));
}

}  // namespace haven::api
