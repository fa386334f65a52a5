// Webhook endpoints and their deliveries (admins only; writes audited). A secret is shown once, on create and on
// rotation; it is stored sealed (service/sealed, MASTER_KEY) like an agency's M-Pesa secrets.
//   GET    /api/v1/webhooks/event-types
//   GET    /api/v1/webhooks/endpoints                 POST (201, with "secret")
//   PATCH  /api/v1/webhooks/endpoints/{id}            DELETE (soft: history kept, PENDING messages CANCELLED)
//   POST   /api/v1/webhooks/endpoints/{id}/rotate-secret   (the previous secret also signs for 24 h)
//   GET    /api/v1/webhooks/endpoints/{id}/messages?status=&before=&limit=
//   GET    /api/v1/webhooks/messages/{id}             POST /api/v1/webhooks/messages/{id}/resend
#include <algorithm>
#include <chrono>
#include <map>

#include "api/accepts.hpp"
#include "api/b2c.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/webhooks.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "net/address_policy.hpp"
#include "service/webhook_signing.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

const Guard kAdmins{{Role::kAdmin}, "only an agency admin manages webhooks"};
constexpr auto kRotationOverlap = std::chrono::hours(24);
constexpr size_t kMaxUrl = 2000;

json NullIfEmpty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json EndpointJson(const storage::WebhookEndpoint& e) {
    return {{"id", e.id},
            {"url", e.url},
            {"description", e.description},
            {"eventTypes", e.event_types},
            {"enabled", e.enabled},
            {"disabledReason", NullIfEmpty(e.disabled_reason)},
            {"disabledAt", Instant(e.disabled_at)},
            {"consecutiveFailures", e.consecutive_failures},
            {"failingSince", Instant(e.failing_since)},
            {"previousSecretUntil", Instant(e.previous_secret_until)},
            {"createdAt", Instant(e.created_at)},
            {"updatedAt", Instant(e.updated_at)}};
}

/// The event type of each message, read once per event.
class EventTypes {
  public:
    explicit EventTypes(storage::Store& store) : store_(store) {}
    std::string Of(int64_t event_id) {
        auto it = seen_.find(event_id);
        if (it != seen_.end()) return it->second;
        auto event = store_.FindOutboxEvent(event_id);
        return seen_[event_id] = event ? event->type : "";
    }

  private:
    storage::Store& store_;
    std::map<int64_t, std::string> seen_;
};

json MessageJson(const storage::OutboxMessage& m, EventTypes& types) {
    return {{"id", m.id},
            {"eventId", m.event_id},
            {"eventType", types.Of(m.event_id)},
            {"subject", m.subject_key},
            {"status", m.status},
            {"attempts", m.attempts},
            {"lastError", NullIfEmpty(m.last_error)},
            {"nextAttemptAt", m.status == "PENDING" ? Instant(m.next_attempt_at) : json(nullptr)},
            {"deliveredAt", Instant(m.delivered_at)},
            {"createdAt", Instant(m.created_at)}};
}

/// Why a webhook URL is refused when it is saved ("" = fine): http(s) only, no credentials, and without
/// WEBHOOKS_ALLOW_PRIVATE no private or loopback literal address (names are checked when connecting).
std::string UrlProblem(const std::string& url, bool allow_private) {
    if (url.size() > kMaxUrl) return "url is too long";
    std::string_view rest = url;
    if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        return "url must start with http:// or https://";
    }
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return "url must not carry a user name or password";
    if (std::any_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; })) {
        return "url must not contain spaces or control characters";
    }
    std::string host;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return "url has an unterminated IPv6 address";
        host = std::string(authority.substr(1, close - 1));
    } else {
        host = std::string(authority.substr(0, authority.find(':')));
    }
    if (host.empty()) return "url has no host";
    if (!allow_private) {
        const std::string why = net::NonPublicAddressReason(host);
        if (!why.empty() && why != "not an IP address") {
            return "url names a " + why + " address; webhooks go to public addresses (WEBHOOKS_ALLOW_PRIVATE)";
        }
    }
    return "";
}

core::Result<std::vector<std::string>> ParseEventTypes(const json& value) {
    if (!value.is_array()) return core::Fail(core::Error::Validation("eventTypes", "eventTypes must be an array"));
    std::vector<std::string> out;
    const auto& known = WebhookEventTypes();
    for (const auto& t : value) {
        if (!t.is_string() || std::find(known.begin(), known.end(), t.get<std::string>()) == known.end()) {
            return core::Fail(core::Error::Validation("eventTypes", "eventTypes lists an unknown event type"));
        }
        if (std::find(out.begin(), out.end(), t.get<std::string>()) == out.end()) out.push_back(t.get<std::string>());
    }
    return out;
}

core::Result<std::string> OptionalText(const json& body, const char* field, size_t max) {
    if (!body.contains(field) || body[field].is_null()) return std::string();
    if (!body[field].is_string() || body[field].get<std::string>().size() > max) {
        return core::Fail(
            core::Error::Validation(field, std::string(field) + " must be text of at most " + std::to_string(max)));
    }
    return body[field].get<std::string>();
}

core::Result<const service::SecretBox*> Box(const ApiContext& ctx) {
    if (!ctx.accounts.box) {
        return core::Fail(ErrorCode::kUnprocessable,
                          "webhook secrets cannot be stored without MASTER_KEY (the key they are sealed with)");
    }
    return &*ctx.accounts.box;
}

net::Response NotFound() { return ErrorResponse(ErrorCode::kNotFound, "no webhook endpoint with this id"); }

net::Response Create(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object()) return ErrorResponse(core::Error::Validation("url", "send a JSON object"));
    auto url = core::RequireText(*body, "url", kMaxUrl);
    if (!url) return ErrorResponse(url.error());
    if (auto problem = UrlProblem(*url, ctx.settings.webhooks_allow_private); !problem.empty()) {
        return ErrorResponse(ErrorCode::kUnprocessable, problem);
    }
    auto description = OptionalText(*body, "description", 500);
    if (!description) return ErrorResponse(description.error());
    std::vector<std::string> types;
    if (body->contains("eventTypes") && !(*body)["eventTypes"].is_null()) {
        auto parsed = ParseEventTypes((*body)["eventTypes"]);
        if (!parsed) return ErrorResponse(parsed.error());
        types = std::move(*parsed);
    }
    auto box = Box(ctx);
    if (!box) return ErrorResponse(box.error());
    const std::string secret = service::NewWebhookSecret();
    storage::WebhookEndpoint e;
    e.agency_id = caller.agency_id;
    e.url = *url;
    e.description = *description;
    e.event_types = types;
    e.secret_sealed = (*box)->Seal(secret);
    auto saved = ctx.store.InsertWebhookEndpoint(e);
    if (!saved) return ErrorResponse(saved.error());
    json out = EndpointJson(*saved);
    out["secret"] = secret;  // the only time it is shown, with rotate-secret's
    return Ok(std::move(out), 201);
}

net::Response List(const Caller& caller, ApiContext& ctx) {
    auto endpoints = ctx.store.ListWebhookEndpoints(caller.agency_id);
    if (!endpoints) return ErrorResponse(endpoints.error());
    json items = json::array();
    for (const auto& e : *endpoints) items.push_back(EndpointJson(e));
    return Ok(std::move(items));
}

core::Result<storage::WebhookEndpoint> Endpoint(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no webhook endpoint with this id");
    auto found = ctx.store.FindWebhookEndpoint(caller.agency_id, *id);
    if (!found && found.error().code == ErrorCode::kNotFound) {
        return core::Fail(ErrorCode::kNotFound, "no webhook endpoint with this id");
    }
    return found;
}

net::Response Patch(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object()) return ErrorResponse(core::Error::Validation("url", "send a JSON object"));
    auto e = Endpoint(req, caller, ctx);
    if (!e) return ErrorResponse(e.error());
    if (body->contains("url")) {
        auto url = core::RequireText(*body, "url", kMaxUrl);
        if (!url) return ErrorResponse(url.error());
        if (auto problem = UrlProblem(*url, ctx.settings.webhooks_allow_private); !problem.empty()) {
            return ErrorResponse(ErrorCode::kUnprocessable, problem);
        }
        e->url = *url;
    }
    if (body->contains("description")) {
        auto description = OptionalText(*body, "description", 500);
        if (!description) return ErrorResponse(description.error());
        e->description = *description;
    }
    if (body->contains("eventTypes")) {
        auto types = ParseEventTypes((*body)["eventTypes"]);
        if (!types) return ErrorResponse(types.error());
        e->event_types = std::move(*types);
    }
    if (body->contains("enabled")) {
        if (!(*body)["enabled"].is_boolean()) {
            return ErrorResponse(core::Error::Validation("enabled", "enabled must be true or false"));
        }
        const bool enabled = (*body)["enabled"].get<bool>();
        if (enabled) {
            // Enabling starts afresh: the failures that disabled it are forgotten.
            e->consecutive_failures = 0;
            e->failing_since.clear();
            e->disabled_reason.clear();
            e->disabled_at.clear();
        } else if (e->enabled) {
            e->disabled_at = core::IsoUtc(std::chrono::system_clock::now());
            e->disabled_reason.clear();  // a person disabled it
        }
        e->enabled = enabled;
    }
    auto saved = ctx.store.UpdateWebhookEndpoint(*e);
    if (!saved) return ErrorResponse(saved.error());
    return Ok(EndpointJson(*saved));
}

net::Response Delete(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return NotFound();
    auto deleted = ctx.store.DeleteWebhookEndpoint(caller.agency_id, *id);
    if (!deleted) return deleted.error().code == ErrorCode::kNotFound ? NotFound() : ErrorResponse(deleted.error());
    return Ok(EndpointJson(*deleted));
}

net::Response Rotate(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto e = Endpoint(req, caller, ctx);
    if (!e) return ErrorResponse(e.error());
    auto box = Box(ctx);
    if (!box) return ErrorResponse(box.error());
    const std::string secret = service::NewWebhookSecret();
    e->previous_secret_sealed = e->secret_sealed;
    e->previous_secret_until = core::IsoUtc(std::chrono::system_clock::now() + kRotationOverlap);
    e->secret_sealed = (*box)->Seal(secret);
    auto saved = ctx.store.UpdateWebhookEndpoint(*e);
    if (!saved) return ErrorResponse(saved.error());
    return Ok({{"secret", secret}, {"previousSecretUntil", Instant(saved->previous_secret_until)}});
}

net::Response Messages(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto e = Endpoint(req, caller, ctx);
    if (!e) return ErrorResponse(e.error());
    storage::Store::OutboxMessageFilter filter;
    filter.agency_id = caller.agency_id;
    filter.endpoint_id = e->id;
    if (auto status = req.Query("status"); status && !status->empty()) {
        static const std::vector<std::string> kStatuses{"PENDING", "DELIVERED", "FAILED", "CANCELLED"};
        if (std::find(kStatuses.begin(), kStatuses.end(), *status) == kStatuses.end()) {
            return ErrorResponse(
                core::Error::Validation("status", "status must be PENDING, DELIVERED, FAILED or CANCELLED"));
        }
        filter.status = *status;
    }
    if (auto before = req.Query("before"); before && !before->empty()) {
        auto id = core::ParseId(*before);
        if (!id) return ErrorResponse(core::Error::Validation("before", "before must be a message id"));
        filter.before_id = *id;
    }
    if (auto limit = req.Query("limit"); limit && !limit->empty()) {
        auto n = core::ParseId(*limit);
        if (!n || *n > 200) return ErrorResponse(core::Error::Validation("limit", "limit must be 1 to 200"));
        filter.limit = static_cast<int>(*n);
    }
    auto messages = ctx.store.ListOutboxMessages(filter);
    if (!messages) return ErrorResponse(messages.error());
    EventTypes types(ctx.store);
    json items = json::array();
    for (const auto& m : *messages) items.push_back(MessageJson(m, types));
    return Ok(std::move(items));
}

core::Result<storage::OutboxMessage> Message(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no message with this id");
    return ctx.store.FindOutboxMessage(caller.agency_id, *id);
}

net::Response MessageDetail(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto m = Message(req, caller, ctx);
    if (!m) return ErrorResponse(m.error());
    EventTypes types(ctx.store);
    json out = MessageJson(*m, types);
    json payload = json::parse(m->payload, nullptr, false);
    out["payload"] = payload.is_discarded() ? json(m->payload) : payload;
    auto attempts = ctx.store.ListOutboxAttempts(m->id);
    if (!attempts) return ErrorResponse(attempts.error());
    json list = json::array();
    for (const auto& a : *attempts) {
        list.push_back({{"attemptedAt", Instant(a.attempted_at)},
                        {"ok", a.ok},
                        {"statusCode", a.status_code ? json(*a.status_code) : json(nullptr)},
                        {"durationMs", a.duration_ms},
                        {"responseExcerpt", a.response_excerpt},
                        {"error", NullIfEmpty(a.error)}});
    }
    out["attempts"] = std::move(list);
    return Ok(std::move(out));
}

net::Response Resend(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto m = Message(req, caller, ctx);
    if (!m) return ErrorResponse(m.error());
    auto resent = ctx.store.ResendOutboxMessage(caller.agency_id, m->id);
    if (!resent) return ErrorResponse(resent.error());
    EventTypes types(ctx.store);
    return Ok(MessageJson(*resent, types));
}

/// "2547****4149", "j***@example.com", or the endpoint URL's scheme and host.
std::string MaskedRecipient(storage::Store& store, const storage::OutboxMessage& m) {
    if (m.channel == "sms") return core::MaskPhone(m.recipient);
    if (m.channel == "email") {
        auto at = m.recipient.find('@');
        if (at == std::string::npos || at == 0) return "***";
        return m.recipient.substr(0, 1) + "***" + m.recipient.substr(at);
    }
    if (!m.endpoint_id) return "";
    auto e = store.FindWebhookEndpointAny(*m.endpoint_id);
    if (!e) return "";
    auto scheme_end = e->url.find("://");
    auto host_end = scheme_end == std::string::npos ? std::string::npos : e->url.find_first_of("/?#", scheme_end + 3);
    return e->url.substr(0, host_end);
}

}  // namespace

const std::vector<std::string>& WebhookEventTypes() {
    static const std::vector<std::string> kTypes{
        "payment.succeeded", "payment.failed",     "c2b.received",    "payout.succeeded",
        "payout.failed",     "reversal.succeeded", "reversal.failed", "transaction.needs_review",
        "system.alert"};
    return kTypes;
}

core::Result<std::string> WebhookEventBody(storage::Store& store, const storage::OutboxEvent& event) {
    if (!event.agency_id) return core::Fail(ErrorCode::kNotFound, "an event of no agency has no webhook");
    json data;
    if (event.subject_kind == "stk" || event.subject_kind == "transfer" || event.subject_kind == "c2b") {
        const core::TxKind kind =
            event.subject_kind == "stk" ? core::TxKind::kStk
            : event.subject_kind == "c2b"
                ? core::TxKind::kC2b
                : store.FindTransactionKind(*event.agency_id, event.subject_id).value_or(core::TxKind::kB2c);
        auto object = TransactionObjectJson(store, *event.agency_id, event.subject_id, kind);
        if (!object) return core::Fail(object.error());
        data = std::move(*object);
    } else if (event.subject_kind == "review" || event.subject_kind == "alert") {
        auto items = store.ListReview({.agency_id = *event.agency_id, .before_id = event.subject_id + 1, .limit = 1});
        if (!items) return core::Fail(items.error());
        auto it = std::find_if(items->begin(), items->end(), [&](const auto& i) { return i.id == event.subject_id; });
        if (it != items->end()) {
            data = ReviewJson(*it);
        } else {
            data = json::object();
            data["id"] = event.subject_id;
        }
    } else {
        data = json::object();
    }
    json extra = json::parse(event.data, nullptr, false);
    if (extra.is_object()) {
        for (auto& [key, value] : extra.items()) {
            if (!data.contains(key)) data[key] = value;
        }
    }
    json body = {{"type", event.type}, {"timestamp", Instant(event.created_at)}, {"data", std::move(data)}};
    return body.dump();
}

core::Result<json> NotificationsJson(storage::Store& store, int64_t agency_id, int64_t transaction_id) {
    auto messages = store.ListSubjectMessages(agency_id, "tx:" + std::to_string(transaction_id));
    if (!messages) return core::Fail(messages.error());
    json out = json::array();
    for (const auto& m : *messages) {
        out.push_back({{"channel", m.channel},
                       {"recipient", MaskedRecipient(store, m)},
                       {"status", m.status},
                       {"attempts", m.attempts},
                       {"lastError", NullIfEmpty(m.last_error)},
                       {"deliveredAt", Instant(m.delivered_at)}});
    }
    return out;
}

void RegisterWebhookRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/webhooks/event-types",
               Authed(ctx, kAdmins, [](net::Request&, const Caller&) { return Ok(json(WebhookEventTypes())); }));
    router.Add("GET", "/api/v1/webhooks/endpoints",
               Authed(ctx, kAdmins, [&ctx](net::Request&, const Caller& c) { return List(c, ctx); }));
    router.Add("POST", "/api/v1/webhooks/endpoints",
               Accepts(kJsonBody,
                       Audited(ctx, "webhook.create", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                   return Create(req, c, ctx);
                               }))));
    router.Add("PATCH", "/api/v1/webhooks/endpoints/{id}",
               Accepts(kJsonBody,
                       Audited(ctx, "webhook.update", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                   return Patch(req, c, ctx);
                               }))));
    router.Add("DELETE", "/api/v1/webhooks/endpoints/{id}",
               Audited(ctx, "webhook.delete", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return Delete(req, c, ctx);
                       })));
    router.Add("POST", "/api/v1/webhooks/endpoints/{id}/rotate-secret",
               Audited(ctx, "webhook.rotate_secret", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return Rotate(req, c, ctx);
                       })));
    router.Add("GET", "/api/v1/webhooks/endpoints/{id}/messages",
               Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) { return Messages(req, c, ctx); }));
    router.Add("GET", "/api/v1/webhooks/messages/{id}",
               Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) { return MessageDetail(req, c, ctx); }));
    router.Add("POST", "/api/v1/webhooks/messages/{id}/resend",
               Audited(ctx, "webhook.resend", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return Resend(req, c, ctx);
                       })));
}

}  // namespace haven::api
