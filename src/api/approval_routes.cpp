// Maker-checker (approvals.hpp): GET/PATCH /api/v1/agency/settings, GET /api/v1/approvals (?status, cursor, limit),
// POST /api/v1/approvals/{id}/approve, POST /api/v1/approvals/{id}/reject {"reason"}; and the gates the B2C and
// reversal routes pass a request through before anything is written.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/approvals.hpp"
#include "api/b2c.hpp"
#include "api/bodies.hpp"
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/payout_limit.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;
using std::chrono::system_clock;

namespace {

constexpr int64_t kMaxExpirySeconds = 30LL * 24 * 3600;  // a request older than a month is not a request any more

const Guard kAdmins{{Role::kAdmin}, "only an agency admin may do this"};

json Minutes(int64_t seconds) {
    if (seconds % 60 == 0) return seconds / 60;
    return static_cast<double>(seconds) / 60.0;
}

json SettingsJson(const storage::AgencySettings& s) {
    return {{"approvalThreshold", s.approval_threshold ? json(*s.approval_threshold) : json(nullptr)},
            {"dailyPayoutLimit", s.daily_payout_limit ? json(*s.daily_payout_limit) : json(nullptr)},
            {"approvalExpiryMinutes", Minutes(s.approval_expiry_seconds)}};
}

json ApprovalJson(const storage::Approval& a) {
    auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    auto request = json::parse(a.request, nullptr, false);
    json original = nullptr;
    if (request.is_object() && request.contains("transactionId")) original = request["transactionId"];
    if (request.is_object() && request.contains("originalTransactionId")) original = request["originalTransactionId"];
    return {{"id", a.id},
            {"kind", a.kind},
            {"type", a.type},
            {"status", a.status},
            {"amount", a.amount},
            {"phoneNumber", core::MaskPhone(a.phone_number)},
            {"originalTransactionId", original},
            {"makerUserId", a.maker_user_id},
            {"makerEmail", a.maker_email},
            {"checkerEmail", text(a.checker_email)},
            {"reason", text(a.reason)},
            {"transactionId", a.transaction_id ? json(*a.transaction_id) : json(nullptr)},
            {"outcome", text(a.outcome)},
            {"createdAt", Instant(a.created_at)},
            {"expiresAt", Instant(a.expires_at)},
            {"decidedAt", Instant(a.decided_at)}};
}

/// The daily payout limit, asked early for a clear answer before anything is held or sent (the store holds it
/// again, atomically, when the payout or the held request is written). `pending_included`: the amount is already
/// counted (a held payout being approved).
core::Result<void> CheckDailyLimit(ApiContext& ctx, int64_t agency_id, const storage::AgencySettings& settings,
                                   int64_t amount, bool pending_included) {
    if (!settings.daily_payout_limit) return {};
    const auto now = system_clock::now();
    const auto day = core::NairobiDayBounds(now);
    auto total = ctx.store.PayoutTotal(agency_id, day.from, day.to, core::IsoUtc(now));
    if (!total) return core::Fail(total.error());
    return core::CheckDailyPayout(settings.daily_payout_limit, pending_included ? *total - amount : *total, amount);
}

bool NeedsApproval(const storage::AgencySettings& settings, int64_t amount) {
    return settings.approval_threshold && *settings.approval_threshold > 0 && amount > *settings.approval_threshold;
}

/// Stores the held request and answers 202 {approval}.
void Hold(ApiContext& ctx, const net::Request& req, const Caller& caller, const storage::AgencySettings& settings,
          storage::Approval a, net::Reply& reply) {
    const auto now = system_clock::now();
    a.agency_id = caller.agency_id;
    a.maker_user_id = caller.user_id;
    a.maker_email = caller.email;
    a.created_at = core::IsoUtc(now);
    a.expires_at = core::IsoUtc(now + std::chrono::seconds(settings.approval_expiry_seconds));
    auto held = ctx.store.InsertApproval(a);
    if (!held) return std::move(reply)(ErrorResponse(held.error()));
    Audit(ctx, req, caller, "approval.request", "approval:" + std::to_string(held->id), "success");
    json data = {{"approval", ApprovalJson(*held)}};
    std::move(reply)(Ok(std::move(data), 202));
}

net::Response GetSettings(const Caller& caller, ApiContext& ctx) {
    auto s = ctx.store.FindAgencySettings(caller.agency_id);
    if (!s) return ErrorResponse(s.error());
    return Ok(SettingsJson(*s));
}

/// null or a non-negative whole number of shillings.
void ReadAmountSetting(const json& body, const char* field, Validator& v, std::optional<int64_t>& out) {
    if (!body.contains(field)) return;
    const json& value = body[field];
    if (value.is_null()) {
        out.reset();
    } else if (value.is_number_integer() && value.get<int64_t>() >= 0 && value.get<int64_t>() <= 1'000'000'000) {
        out = value.get<int64_t>();
    } else {
        v.Add(field, std::string(field) + " must be null (off) or a whole number of shillings (0 or more)");
    }
}

net::Response PatchSettings(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto before = ctx.store.FindAgencySettings(caller.agency_id);
    if (!before) return ErrorResponse(before.error());
    storage::AgencySettings after = *before;
    Validator v;
    for (const auto& item : body->items()) {
        const std::string& name = item.key();
        if (name != "approvalThreshold" && name != "dailyPayoutLimit" && name != "approvalExpiryMinutes") {
            v.Add(name, "unknown field: the settings are approvalThreshold, dailyPayoutLimit, approvalExpiryMinutes");
        }
    }
    ReadAmountSetting(*body, "approvalThreshold", v, after.approval_threshold);
    ReadAmountSetting(*body, "dailyPayoutLimit", v, after.daily_payout_limit);
    if (body->contains("approvalExpiryMinutes")) {
        const json& value = (*body)["approvalExpiryMinutes"];
        // Minutes, fractions allowed (0.5 = 30 seconds); kept as whole seconds, at least one.
        const double minutes = value.is_number() ? value.get<double>() : -1;
        const int64_t seconds = std::llround(minutes * 60);
        if (!value.is_number() || !std::isfinite(minutes) || minutes * 60 < 1 - 1e-9 || seconds > kMaxExpirySeconds) {
            v.Add("approvalExpiryMinutes", "approvalExpiryMinutes must be a number of minutes between 1/60 and 43200");
        } else {
            after.approval_expiry_seconds = seconds;
        }
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto saved = ctx.store.UpdateAgencySettings(caller.agency_id, after);
    if (!saved) return ErrorResponse(saved.error());
    Audit(ctx, req, caller, "agency.settings", "agency:" + std::to_string(caller.agency_id), "success",
          {{"before", SettingsJson(*before)}, {"after", SettingsJson(*saved)}});
    return Ok(SettingsJson(*saved));
}

net::Response List(net::Request& req, const Caller& caller, ApiContext& ctx) {
    storage::ApprovalFilter filter{.agency_id = caller.agency_id};
    Validator v;
    if (auto raw = req.Query("status")) {
        if (*raw == "pending" || *raw == "approved" || *raw == "rejected" || *raw == "expired")
            filter.status = *raw;
        else if (*raw != "all")
            v.Add("status", "status must be pending, approved, rejected, expired or all");
    }
    ReadPaging(req, v, filter.limit, filter.before_id);
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto items = ctx.store.ListApprovals(filter);
    if (!items) return ErrorResponse(items.error());
    json list = json::array();
    for (const auto& a : *items) {
        json item = ApprovalJson(a);
        item["mine"] = a.maker_user_id == caller.user_id;  // the maker waits for another admin
        list.push_back(std::move(item));
    }
    json data = json::object();
    data["nextCursor"] =
        static_cast<int>(items->size()) == filter.limit ? json(std::to_string(items->back().id)) : json(nullptr);
    data["items"] = std::move(list);
    return Ok(std::move(data));
}

/// Why a decision did not apply: the row as the winner (or the clock) left it.
net::Response NotPending(const storage::Approval& a) {
    if (a.status == "pending" || a.status == "expired") {
        return ErrorResponse(ErrorCode::kConflict, "expired: this approval request expired at " + a.expires_at +
                                                       "; ask for the payment again if it is still wanted");
    }
    return ErrorResponse(ErrorCode::kConflict, "this approval request was already " + a.status);
}

/// The decision every approve and reject starts with: the row (agency-scoped) and the maker rule.
core::Result<storage::Approval> Decidable(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no approval request with this id");
    auto a = ctx.store.FindApproval(caller.agency_id, *id);
    if (!a) {
        if (a.error().code == ErrorCode::kNotFound)
            return core::Fail(ErrorCode::kNotFound, "no approval request with this id");
        return a;
    }
    if (a->maker_user_id == caller.user_id) {
        return core::Fail(ErrorCode::kForbidden,
                          "you asked for this payment, so another admin of the agency must approve or reject it");
    }
    return a;
}

void Approve(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto a = Decidable(req, caller, ctx);
    if (!a) return reply(ErrorResponse(a.error()));
    if (a->status != "pending" || a->expires_at <= core::IsoUtc(system_clock::now())) return reply(NotPending(*a));
    auto request = json::parse(a->request, nullptr, false);
    if (a->kind == "b2c") {
        // Checked again now: the day's payouts may have grown since the request was held.
        auto settings = ctx.store.FindAgencySettings(caller.agency_id);
        if (!settings) return reply(ErrorResponse(settings.error()));
        if (auto ok = CheckDailyLimit(ctx, caller.agency_id, *settings, a->amount, true); !ok) {
            return reply(ErrorResponse(ok.error()));
        }
    }
    // The agency's account is resolved before the approval is decided: an account that cannot be used leaves the
    // request pending rather than approved with nothing sent.
    auto deps = B2cDepsFor(ctx, a->agency_id);
    if (!deps) return reply(ErrorResponse(deps.error()));
    auto decided = ctx.store.DecideApproval(caller.agency_id, a->id,
                                            {.status = "approved",
                                             .checker_user_id = caller.user_id,
                                             .checker_email = caller.email,
                                             .now = core::IsoUtc(system_clock::now())});
    if (!decided) return reply(ErrorResponse(decided.error()));
    if (!decided->first) return reply(NotPending(decided->second));
    // The maker's request, sent now through the use case an immediate request runs; the transfer is the maker's.
    const service::Actor maker{a->agency_id, a->maker_user_id, a->maker_email, req.request_id};
    const int64_t approval_id = a->id;
    auto record = [&ctx, approval_id](const core::Result<storage::Transfer>& out) {
        auto r = out ? ctx.store.SetApprovalResult(approval_id, out->id, "")
                     : ctx.store.SetApprovalResult(approval_id, std::nullopt, out.error().message);
        if (!r) spdlog::error("approval {}: result not recorded: {}", approval_id, r.error().message);
    };
    if (a->kind == "b2c") {
        auto input = ReadB2cBody(request);
        if (!input) return reply(ErrorResponse(input.error()));
        service::InitiateB2cAsync(
            *input, maker, *deps,
            [record, answer = AnswerTransfer(std::move(reply), nullptr)](core::Result<storage::Transfer> out) {
                record(out);
                answer(std::move(out));
            });
    } else {
        auto input = ReadReversalBody(request);
        if (!input) return reply(ErrorResponse(input.error()));
        service::InitiateReversalAsync(
            *input, maker, *deps,
            [record, answer = AnswerTransfer(std::move(reply), "no transaction with this id")](
                core::Result<storage::Transfer> out) {
                record(out);
                answer(std::move(out));
            });
    }
}

net::Response Reject(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto reason = core::RequireText(*body, "reason", 500);
    if (!reason) {
        return ErrorResponse(core::Error::Validation("reason", "reason is required: say why the payment is refused"));
    }
    auto a = Decidable(req, caller, ctx);
    if (!a) return ErrorResponse(a.error());
    auto decided = ctx.store.DecideApproval(caller.agency_id, a->id,
                                            {.status = "rejected",
                                             .checker_user_id = caller.user_id,
                                             .checker_email = caller.email,
                                             .reason = *reason,
                                             .now = core::IsoUtc(system_clock::now())});
    if (!decided) return ErrorResponse(decided.error());
    if (!decided->first) return NotPending(decided->second);
    return Ok(ApprovalJson(decided->second));
}

}  // namespace

Gate GateB2c(ApiContext& ctx, const net::Request& req, const Caller& caller, const service::B2cInput& input,
             const json& body, net::Reply& reply) {
    auto settings = ctx.store.FindAgencySettings(caller.agency_id);
    if (!settings) {
        std::move(reply)(ErrorResponse(settings.error()));
        return Gate::kAnswered;
    }
    if (auto ok = CheckDailyLimit(ctx, caller.agency_id, *settings, input.amount, false); !ok) {
        std::move(reply)(ErrorResponse(ok.error()));
        return Gate::kAnswered;
    }
    if (!NeedsApproval(*settings, input.amount)) return Gate::kProceed;
    storage::Approval a;
    a.kind = "b2c";
    a.amount = input.amount;
    a.phone_number = input.phone_number;
    a.type = input.type;
    a.request = body.dump();
    Hold(ctx, req, caller, *settings, std::move(a), reply);
    return Gate::kAnswered;
}

Gate GateReversal(ApiContext& ctx, const net::Request& req, const Caller& caller, const service::ReversalInput& input,
                  const json& body, net::Reply& reply) {
    auto settings = ctx.store.FindAgencySettings(caller.agency_id);
    if (!settings) {
        std::move(reply)(ErrorResponse(settings.error()));
        return Gate::kAnswered;
    }
    if (!settings->approval_threshold || *settings->approval_threshold <= 0) return Gate::kProceed;
    auto plan = service::PlanReversal(input, caller.agency_id, B2cDepsFor(ctx));
    if (!plan) {
        std::move(reply)(plan.error().code == ErrorCode::kNotFound
                             ? ErrorResponse(ErrorCode::kNotFound, "no transaction with this id")
                             : ErrorResponse(plan.error()));
        return Gate::kAnswered;
    }
    if (!NeedsApproval(*settings, plan->amount)) return Gate::kProceed;
    storage::Approval a;
    a.kind = "reversal";
    a.amount = plan->amount;
    a.phone_number = plan->phone_number;
    a.type = "reversal";
    a.request = body.dump();
    Hold(ctx, req, caller, *settings, std::move(a), reply);
    return Gate::kAnswered;
}

void RegisterApprovalRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/agency/settings",
               Authed(ctx, kAdmins, [&ctx](net::Request&, const Caller& c) { return GetSettings(c, ctx); }));
    // Audited inside the handler: the row carries the settings before and after.
    router.Add("PATCH", "/api/v1/agency/settings",
               Accepts(kJsonBody, Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return PatchSettings(req, c, ctx);
                       })));
    router.Add("GET", "/api/v1/approvals",
               Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) { return List(req, c, ctx); }));
    // Approving sends the money: it waits on Daraja like POST /mpesa/b2c (bounded by DARAJA_MAX_IN_FLIGHT).
    router.AddAsync("POST", "/api/v1/approvals/{id}/approve",
                    CallsDaraja(ctx, Audited(ctx, "approval.approve",
                                             AuthedAsync(ctx, kAdmins,
                                                         [&ctx](net::Request& req, const Caller& c, net::Reply reply) {
                                                             Approve(req, c, ctx, std::move(reply));
                                                         }))));
    router.Add("POST", "/api/v1/approvals/{id}/reject",
               Accepts(kJsonBody,
                       Audited(ctx, "approval.reject", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                   return Reject(req, c, ctx);
                               }))));
}

}  // namespace haven::api
