// Control and inspection API under /sim/v1/ (no auth: it is a test tool on loopback, see Simulator::Start): rules, the
// virtual phone, request and callback logs, the ledger, reset, and the certificate for SecurityCredential.
#include "core/time.hpp"
#include "net/media_type.hpp"
#include "sim/core.hpp"
#include "sim/redact.hpp"
#include "sim/statement.hpp"

namespace haven::sim {

namespace {

// No CORS headers: a web page elsewhere must not read the logs or answer prompts from a browser that
// can reach this port. The gateway's virtual phone reaches the control API through its own proxy.
net::Response NoStore(net::Response res) {
    res.headers["Cache-Control"] = "no-store";
    return res;
}

/// A page on another site can POST text/plain or a form without a preflight, but not application/json;
/// with no CORS headers here, insisting on JSON keeps such a page from resetting state or answering prompts.
bool JsonContentType(const net::Request& req) {
    auto header = req.Header("Content-Type");
    auto media = header ? net::ParseMediaType(*header) : std::nullopt;
    return media && media->Essence() == "application/json";
}

net::Response ControlError(int status, const std::string& code, const std::string& message) {
    return net::Response::Json(status, {{"error", {{"code", code}, {"message", message}}}});
}

Json PromptJson(const StkSession& s) {
    return {{"checkoutRequestId", s.checkout_request_id},
            {"merchantRequestId", s.merchant_request_id},
            {"phoneNumber", s.phone},
            {"amount", s.amount},
            {"accountReference", s.account_reference},
            {"businessShortCode", s.shortcode},
            {"createdAt", FormatEat(s.created, "%Y-%m-%dT%H:%M:%S+03:00")},
            {"expiresAt", FormatEat(s.expires, "%Y-%m-%dT%H:%M:%S+03:00")}};
}

net::Response GetRules(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    return net::Response::Json(200, {{"rules", c.rules.ToJson()}});
}

net::Response PostRules(Core& c, net::Request& req) {
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return ControlError(400, "INVALID_JSON", "body is not valid JSON");
    auto rules = ParseRules(body);
    if (!rules) return ControlError(400, "VALIDATION_ERROR", rules.error().message);
    bool replace = body.is_object() && body.value("replace", false);
    std::lock_guard lock(c.mu);
    c.rules.Add(std::move(*rules), replace);
    return net::Response::Json(200, {{"rules", c.rules.ToJson()}});
}

net::Response DeleteRules(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    c.rules.Clear();
    return net::Response::Json(200, {{"rules", Json::array()}});
}

net::Response Pending(Core& c, net::Request&) {
    Json prompts = Json::array();
    std::lock_guard lock(c.mu);
    std::vector<const StkSession*> waiting;
    for (const auto& [id, s] : c.stk) {
        if (!s.final && s.waiting_phone) waiting.push_back(&s);
    }
    std::sort(waiting.begin(), waiting.end(), [](auto* a, auto* b) { return a->created < b->created; });
    for (const auto* s : waiting) prompts.push_back(PromptJson(*s));
    return net::Response::Json(200, {{"prompts", prompts}});
}

net::Response Resolve(Core& c, net::Request& req) {
    std::string id = req.Param("checkoutRequestId");
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return ControlError(400, "INVALID_JSON", "body must be a JSON object");
    std::string action = FieldText(body, "action").value_or("");
    std::string code;
    if (action == "accept") {
        std::string pin = FieldText(body, "pin").value_or("");
        code = (!c.options.phone_pin.empty() && pin != c.options.phone_pin) ? "2001" : "0";
    } else if (action == "wrong_pin") {
        code = "2001";
    } else if (action == "cancel") {
        code = "1032";
    } else if (action == "ignore" || action == "timeout") {
        code = "1037";  // the user never answers: ended now instead of waiting for interactive_timeout
    } else if (action == "expire") {
        code = "1019";
    } else if (action == "insufficient_funds") {
        code = "1";
    } else if (action == "result") {
        code = FieldText(body, "resultCode").value_or("");
        if (code.empty()) return ControlError(400, "VALIDATION_ERROR", "resultCode is required for action result");
    } else {
        return ControlError(400, "VALIDATION_ERROR",
                            "action must be accept, wrong_pin, cancel, ignore, expire, insufficient_funds or result");
    }
    {
        std::lock_guard lock(c.mu);
        auto it = c.stk.find(id);
        if (it == c.stk.end()) return ControlError(404, "NOT_FOUND", "no STK prompt " + id);
        if (it->second.final)
            return ControlError(409, "CONFLICT", "prompt already ended with " + it->second.result_code);
    }
    auto delivery = FinalizeStk(c, id, code);
    if (!delivery) return ControlError(409, "CONFLICT", "prompt already ended");
    Core* core = &c;
    core->Schedule(std::chrono::milliseconds(0), [core, d = *delivery]() { core->Deliver(d); });
    std::lock_guard lock(c.mu);
    const StkSession& s = c.stk.at(id);
    return net::Response::Json(200, {{"checkoutRequestId", id},
                                     {"resultCode", s.result_code},
                                     {"resultDesc", s.result_desc},
                                     {"mpesaReceiptNumber", s.receipt}});
}

net::Response ListStk(Core& c, net::Request&) {
    Json list = Json::array();
    std::lock_guard lock(c.mu);
    for (const auto& [id, s] : c.stk) {
        Json j = PromptJson(s);
        j["final"] = s.final;
        j["waitingForPhone"] = s.waiting_phone;
        if (s.final) {
            j["resultCode"] = s.result_code;
            j["resultDesc"] = s.result_desc;
            j["mpesaReceiptNumber"] = s.receipt;
        }
        list.push_back(j);
    }
    return net::Response::Json(200, {{"transactions", list}});
}

net::Response Requests(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    Json list = Json::array();
    for (const auto& r : c.request_log) list.push_back(r);
    return net::Response::Json(200, {{"requests", list}});
}

net::Response Callbacks(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    Json list = Json::array();
    for (const auto& r : c.callback_log) list.push_back(r);
    return net::Response::Json(200, {{"callbacks", list}});
}

/// The C2B URLs registered per shortcode (register URL API), masked like the request log.
net::Response C2bRegistrations(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    Json list = Json::array();
    for (const auto& [shortcode, reg] : c.c2b) {
        list.push_back({{"shortcode", shortcode},
                        {"version", reg.version},
                        {"responseType", reg.response_type},
                        {"confirmationUrl", MaskUrl(reg.confirmation_url)},
                        {"validationUrl", MaskUrl(reg.validation_url)}});
    }
    return net::Response::Json(200, {{"registrations", list}});
}

net::Response LedgerView(Core& c, net::Request&) {
    std::lock_guard lock(c.mu);
    return net::Response::Json(200, c.ledger.ToJson());
}

// GET /sim/v1/statement.csv?from=&to= : the ledger as the business portal's statement (sim/statement.hpp);
// from/to are ISO-8601 (a date is midnight UTC), either may be left out.
net::Response Statement(Core& c, net::Request& req) {
    std::optional<TimePoint> from, to;
    for (auto [name, bound] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
        if (auto raw = req.Query(name); raw && !raw->empty()) {
            *bound = core::ParseIsoUtc(*raw);
            if (!*bound) return ControlError(400, "VALIDATION_ERROR", std::string(name) + " must be an ISO-8601 time");
        }
    }
    std::string shortcode = c.options.stk_shortcodes.empty() ? "174379" : c.options.stk_shortcodes.front();
    std::lock_guard lock(c.mu);
    net::Response res =
        net::Response::Text(200,
                            StatementCsv(c.ledger,
                                         Balances{c.options.working_balance_cents, c.options.utility_balance_cents,
                                                  c.options.charges_paid_balance_cents},
                                         shortcode, from, to),
                            "text/csv; charset=utf-8");
    res.headers["Content-Disposition"] = "attachment; filename=\"statement.csv\"";
    return res;
}

net::Response Reset(Core& c, net::Request&) {
    c.ResetState();
    return net::Response::Json(200, {{"reset", true}});
}

net::Response Certificate(Core& c, net::Request&) {
    return net::Response::Text(200, c.key.CertificatePem(), "application/x-pem-file");
}

}  // namespace

void RegisterControl(net::Router& router, const std::shared_ptr<Core>& core) {
    std::weak_ptr<Core> weak = core;
    auto add = [&](const std::string& method, const std::string& path,
                   std::function<net::Response(Core&, net::Request&)> fn) {
        router.Add(method, path, [weak, fn](net::Request& req) {
            auto c = weak.lock();
            if (!c) return net::Response::Json(503, {{"error", {{"code", "STOPPED"}, {"message", "stopped"}}}});
            if (req.method == "POST" && !JsonContentType(req)) {
                return NoStore(ControlError(415, "UNSUPPORTED_MEDIA_TYPE",
                                            "send control requests with Content-Type: application/json"));
            }
            return NoStore(fn(*c, req));
        });
    };
    add("GET", "/sim/v1/certificate", Certificate);
    add("GET", "/sim/v1/rules", GetRules);
    add("POST", "/sim/v1/rules", PostRules);
    add("DELETE", "/sim/v1/rules", DeleteRules);
    add("GET", "/sim/v1/stk/pending", Pending);
    add("GET", "/sim/v1/stk", ListStk);
    add("POST", "/sim/v1/stk/{checkoutRequestId}/resolve", Resolve);
    add("GET", "/sim/v1/requests", Requests);
    add("GET", "/sim/v1/callbacks", Callbacks);
    add("GET", "/sim/v1/ledger", LedgerView);
    add("GET", "/sim/v1/c2b/registrations", C2bRegistrations);
    add("GET", "/sim/v1/statement.csv", Statement);
    add("GET", "/sim/v1/sms", ListSms);
    add("POST", "/sim/v1/reset", Reset);
}

}  // namespace haven::sim
