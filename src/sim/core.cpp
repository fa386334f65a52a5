#include "sim/core.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sim/redact.hpp"

namespace haven::sim {

Core::Core(net::Runtime& rt, SimulatorOptions opts, CredentialKey k)
    : runtime(rt),
      options(std::move(opts)),
      client(rt),
      ids(options.seed),
      key(std::move(k)),
      ledger(
          Balances{options.working_balance_cents, options.utility_balance_cents, options.charges_paid_balance_cents}) {}

TimePoint Core::Now() const { return options.clock ? options.clock() : Clock::now(); }

net::Response Core::DarajaError(const std::string& code, const std::string& message, std::string request_id,
                                int status) {
    if (status == 0) {
        status = 500;
        if (code.size() >= 3 && IsDigits(code.substr(0, 3))) status = std::stoi(code.substr(0, 3));
    }
    if (request_id.empty()) request_id = ids.RequestStyleId();
    return net::Response::Json(status, {{"requestId", request_id}, {"errorCode", code}, {"errorMessage", message}});
}

std::optional<net::Response> Core::CheckBearer(const net::Request& req) {
    auto header = req.Header("Authorization");
    if (!header) return DarajaError("404.001.04", "Invalid Authentication Header");
    std::string value = Trim(*header);
    if (value.size() < 8 || !std::equal(value.begin(), value.begin() + 7, "Bearer ", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
        return DarajaError("404.001.04", "Invalid Authentication Header");
    }
    std::string token = Trim(value.substr(7));
    std::lock_guard lock(mu);
    auto it = tokens.find(token);
    if (it == tokens.end() || it->second.expires <= Now()) return DarajaError("404.001.03", "Invalid Access Token");
    return std::nullopt;
}

std::optional<net::Response> Core::ParseJson(const net::Request& req, const std::string& first_field, Json& out) {
    if (options.require_json_content_type) {
        std::string type = req.Header("Content-Type").value_or("");
        std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
        if (type.find("json") == std::string::npos) return BadRequest(first_field);
    }
    out = Json::parse(req.body, nullptr, false);
    if (out.is_discarded() || !out.is_object()) return DarajaError("400.002.05", "Invalid Request Payload");
    return std::nullopt;
}

std::optional<RuleThen> Core::MatchRule(const std::string& api, const RuleSubject& subject) {
    std::lock_guard lock(mu);
    return rules.Match(api, subject);
}

namespace {
std::string DefaultFaultCode(int status) {
    switch (status) {
        case 503:
            return "503.001.01";
        case 429:
            return "500.003.02";
        default:
            return status >= 500 ? "500.003.1001" : std::to_string(status) + ".002.02";
    }
}

std::string DefaultFaultMessage(const std::string& code) {
    if (code == "500.003.02") return "Error Occurred: Spike Arrest Violation";
    if (code == "500.003.03") return "Error Occurred: Quota Violation";
    if (code == "500.002.1001") return "System internal error.";
    if (code == "500.003.1001") return "Internal Server Error";
    if (code == "404.001.03") return "Invalid Access Token";
    if (code.rfind("503", 0) == 0) return "Service Unavailable";
    return "Bad Request";
}
}  // namespace

std::optional<net::Response> Core::ApplyFaults(const std::optional<RuleThen>& rule, const net::Request& req) {
    if (!rule) return std::nullopt;
    if (rule->invalidate_token) {
        std::string header = req.Header("Authorization").value_or("");
        std::string token = header.size() > 7 ? Trim(header.substr(7)) : "";
        std::lock_guard lock(mu);
        tokens.erase(token);
        return DarajaError("404.001.03", "Invalid Access Token");
    }
    if (rule->http_status || !rule->error_code.empty()) {
        std::string code =
            rule->error_code.empty() ? DefaultFaultCode(rule->http_status.value_or(500)) : rule->error_code;
        std::string message = rule->error_message.empty() ? DefaultFaultMessage(code) : rule->error_message;
        return DarajaError(code, message, {}, rule->http_status.value_or(0));
    }
    return std::nullopt;
}

std::chrono::milliseconds Core::OutcomeDelay(const std::optional<RuleThen>& rule) const {
    if (rule && rule->delay_ms) return std::chrono::milliseconds(std::max<int64_t>(0, *rule->delay_ms));
    return options.callback_delay;
}

int Core::CheckInitiator(const std::string& initiator, const std::string& credential) {
    auto it = options.initiators.find(initiator);
    if (it == options.initiators.end()) return 2001;
    auto password = key.Decrypt(credential);
    if (!password) {
        // Not made with our certificate (e.g. Safaricom's sandbox one): we cannot know the password.
        return options.accept_foreign_credentials && password.error().code == core::ErrorCode::kUnprocessable ? 0
                                                                                                              : 2001;
    }
    return std::find(it->second.begin(), it->second.end(), *password) != it->second.end() ? 0 : 2001;
}

void Core::LogRequest(const net::Request& req, int status,
                      std::optional<std::chrono::system_clock::time_point> received) {
    const auto answered = std::chrono::system_clock::now();
    auto epoch_ms = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    // Served by /sim/v1/requests to anyone who reaches the port: tokens, credentials and callback
    // secrets are masked (redact.hpp).
    Json body = Json::parse(req.body, nullptr, false);
    Json entry = {{"method", req.method},
                  {"path", MaskUrl(req.path)},
                  {"target", MaskUrl(req.target)},
                  {"time", FormatEat(Now(), "%Y-%m-%dT%H:%M:%S+03:00")},
                  {"headers", MaskHeaders(req.headers)},
                  {"body", body.is_discarded() ? Json("(not JSON, " + std::to_string(req.body.size()) + " bytes)")
                                               : MaskBody(std::move(body))},
                  {"status", status},
                  {"receivedAtMs", epoch_ms(received.value_or(answered))},
                  {"answeredAtMs", epoch_ms(answered)}};
    std::lock_guard lock(mu);
    entry["id"] = next_log_id++;
    request_log.push_back(std::move(entry));
    while (request_log.size() > options.max_logged) request_log.pop_front();
}

void Core::ResetState() {
    std::lock_guard lock(mu);
    ++epoch;
    ledger = Ledger(
        Balances{options.working_balance_cents, options.utility_balance_cents, options.charges_paid_balance_cents});
    rules.Clear();
    stk.clear();
    phone_locks.clear();
    originator_ids.clear();
    c2b.clear();
    request_log.clear();
    callback_log.clear();
    sms.clear();
}

namespace {

net::Response Stopped() { return net::Response::Json(503, {{"errorMessage", "simulator stopped"}}); }

/// After the rule's slowMs: its other faults, then the API; outOfOrder callbacks go out before the answer.
void Finish(Core& c, const DarajaApi& api, DarajaCall& call, const net::Reply& reply) {
    auto fault = c.ApplyFaults(call.rule, call.req);
    net::Response res = fault ? std::move(*fault) : api.run(c, call);
    c.LogRequest(call.req, res.status, call.received);
    if (call.before_answer.empty()) {
        reply(std::move(res));
        return;
    }
    c.DeliverAll(std::move(call.before_answer), [reply, res = std::move(res)]() { reply(res); });
}

}  // namespace

void Core::AnswerSlowReplies() {
    std::map<uint64_t, net::Reply> waiting;
    {
        std::lock_guard lock(mu);
        waiting.swap(slow_replies);
    }
    for (auto& [id, reply] : waiting) reply(Stopped());
}

void AddDarajaRoute(net::Router& router, const std::shared_ptr<Core>& core, const std::string& method,
                    const std::string& path, DarajaApi api) {
    std::weak_ptr<Core> weak = core;
    auto shared_api = std::make_shared<const DarajaApi>(std::move(api));
    router.AddAsync(method, path, [weak, api = shared_api](net::Request& req, net::Reply reply) {
        auto c = weak.lock();
        if (!c) return reply(Stopped());
        const auto received = std::chrono::system_clock::now();
        auto answer = [&](net::Response res) {
            c->LogRequest(req, res.status, received);
            reply(std::move(res));
        };
        if (api->bearer) {
            if (auto e = c->CheckBearer(req)) return answer(std::move(*e));
        }
        Json body;
        if (!api->first_field.empty()) {
            if (auto e = c->ParseJson(req, api->first_field, body)) return answer(std::move(*e));
        }
        auto rule = c->MatchRule(api->rule_api, api->subject ? api->subject(body) : RuleSubject{});
        int64_t slow_ms = rule && rule->slow_ms ? *rule->slow_ms : 0;
        if (slow_ms <= 0) {
            DarajaCall call{req, std::move(body), std::move(rule), {}, received};
            return Finish(*c, *api, call, reply);
        }
        // slowMs is a timer, not a sleeping thread, so hundreds of slow answers can wait at once. The request is
        // copied: the timer owns what it needs. Stop answers the reply at once (AnswerSlowReplies).
        uint64_t slow_id = 0;
        {
            std::lock_guard lock(c->mu);
            if (c->stopped) return reply(Stopped());  // Stop set stopped before it took mu to answer the others
            slow_id = c->next_slow_id++;
            c->slow_replies.emplace(slow_id, reply);
        }
        auto held = std::make_shared<net::Request>(req);
        c->runtime.PostAfter(std::chrono::milliseconds(slow_ms), [weak, api, held, slow_id, body = std::move(body),
                                                                  rule = std::move(rule), reply, received]() mutable {
            auto c = weak.lock();
            if (!c) return reply(Stopped());
            {
                std::lock_guard lock(c->mu);
                // Gone: Stop answered it already. The API must not run after Stop either.
                if (c->slow_replies.erase(slow_id) == 0) return;
            }
            if (c->stopped) return reply(Stopped());
            DarajaCall call{*held, std::move(body), std::move(rule), {}, received};
            Finish(*c, *api, call, reply);
        });
    });
    for (const char* other : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
        if (method == other) continue;
        router.Add(other, path, [weak](net::Request& req) {
            auto c = weak.lock();
            if (!c) return Stopped();
            net::Response res = c->DarajaError("405.001", req.method + " Method Not Allowed");
            c->LogRequest(req, res.status);
            return res;
        });
    }
}

Json KeyValueList(Json items) {
    if (items.is_array() && items.size() == 1) return items[0];
    return items;
}

Json KeyValue(const std::string& key, Json value) { return {{"Key", key}, {"Value", std::move(value)}}; }

Json KeyOnly(const std::string& key) { return {{"Key", key}}; }

Json ResultEnvelope(Json result_code, const std::string& desc, const std::string& originator_id,
                    const std::string& conversation_id, const std::string& transaction_id, Json parameters,
                    Json reference_items, int result_type) {
    Json result = {{"ResultType", result_type},
                   {"ResultCode", std::move(result_code)},
                   {"ResultDesc", desc},
                   {"OriginatorConversationID", originator_id},
                   {"ConversationID", conversation_id},
                   {"TransactionID", transaction_id}};
    if (parameters.is_array() && !parameters.empty()) {
        result["ResultParameters"] = {{"ResultParameter", KeyValueList(std::move(parameters))}};
    }
    if (reference_items.is_array() && !reference_items.empty()) {
        result["ReferenceData"] = {{"ReferenceItem", KeyValueList(std::move(reference_items))}};
    }
    return {{"Result", result}};
}

std::string ResultDescFor(const std::string& code) {
    static const std::map<std::string, std::string> kDescs = {
        {"0", "The service request is processed successfully."},
        {"1", "The balance is insufficient for the transaction."},
        {"2", "Declined due to limit rule: less than the minimum transaction amount."},
        {"3", "Declined due to limit rule: greater than the maximum transaction amount."},
        {"4", "Declined due to limit rule: would exceed daily transfer limit."},
        {"8", "Declined due to limit rule: would exceed the maximum balance."},
        {"11", "The DebitParty is in an invalid state."},
        {"15", "Duplicate Detected."},
        {"17", "Rule limited."},
        {"20", "Unresolved Initiator."},
        {"21", "The initiator is not allowed to initiate this request."},
        {"26", "System busy. The service request is rejected."},
        {"2001", "The initiator information is invalid."},
        {"2006", "Declined due to account rule: The account status does not allow this transaction."},
        {"2028", "The request is not permitted according to product assignment."},
        {"2032", "The transaction receipt number does not exist."},
        {"2040", "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service."},
        {"8006", "The security credential is locked."},
        {"9999", "An error occurred while processing the request."},
        {"SFC_IC0003", "The operator does not exist."},
        {"R000001", "The transaction has already been reversed."},
        {"R000002", "The OriginalTransactionID is invalid."},
    };
    auto it = kDescs.find(code);
    return it != kDescs.end() ? it->second : "The service request has failed.";
}

Json ResultCodeJson(const std::string& code) {
    if (IsDigits(code) && code.size() < 10) return std::stoll(code);
    return code;
}

Json AsyncAck(const std::string& originator_id, const std::string& conversation_id) {
    return {{"OriginatorConversationID", originator_id},
            {"ConversationID", conversation_id},
            {"ResponseCode", "0"},
            {"ResponseDescription", "Accept the service request successfully."}};
}

std::string InitialResultCode(Core& c, const AsyncRequest& r, const std::optional<RuleThen>& rule) {
    std::string code = std::to_string(c.CheckInitiator(r.initiator, r.credential));
    if (code == "0" && rule && rule->result_code) code = *rule->result_code;
    return code;
}

std::optional<Delivery> QueueTimeoutDelivery(Core& c, const std::string& api, const AsyncRequest& r,
                                             const std::optional<RuleThen>& rule, TimePoint now) {
    if (!rule || !rule->queue_timeout) return std::nullopt;
    return Delivery{api + ".timeout", r.queue_timeout_url,
                    QueueTimeoutBody(r.originator_id, r.conversation_id, c.ids.ZeroReceipt(now)), 1};
}

std::string ResultDesc(const std::string& code, const std::optional<RuleThen>& rule) {
    return rule && rule->result_desc ? *rule->result_desc : ResultDescFor(code);
}

Delivery ResultDelivery(const std::string& api, const AsyncRequest& r, Json body, const std::optional<RuleThen>& rule) {
    return {api + ".result", r.result_url, std::move(body), rule && rule->callbacks ? *rule->callbacks : 1};
}

void SendOutcome(Core& c, DarajaCall& call, std::function<Delivery(Core&)> outcome) {
    if (call.rule && call.rule->out_of_order) {
        call.before_answer.push_back(outcome(c));
        return;
    }
    Core* core = &c;
    c.Schedule(c.OutcomeDelay(call.rule), [core, outcome = std::move(outcome)]() { core->Deliver(outcome(*core)); });
}

Json QueueTimeoutBody(const std::string& originator_id, const std::string& conversation_id,
                      const std::string& transaction_id) {
    return {{"Result",
             {{"ResultType", 1},
              {"ResultCode", 1},
              {"ResultDesc", "The service request has timed out."},
              {"OriginatorConversationID", originator_id},
              {"ConversationID", conversation_id},
              {"TransactionID", transaction_id}}}};
}

}  // namespace haven::sim

namespace haven::sim {

std::optional<net::Response> ReadInitiator(Core& c, const Json& body, const char* initiator_key, std::string& initiator,
                                           std::string& credential) {
    initiator = FieldText(body, initiator_key).value_or("");
    if (initiator.empty()) return c.BadRequest(initiator_key);
    credential = FieldText(body, "SecurityCredential").value_or("");
    if (!Base64Decode(credential)) return c.BadRequest("SecurityCredential");
    return std::nullopt;
}

std::optional<net::Response> ReadUrl(Core& c, const Json& body, const char* key, std::string& url) {
    url = FieldText(body, key).value_or("");
    if (!IsHttpUrl(url)) return c.BadRequest(key);
    return std::nullopt;
}

std::string CustomerPublicName(const Core& c, const std::string& msisdn) {
    return msisdn + " - " + c.options.customer_name;
}

std::string OrgPublicName(const std::string& shortcode) {
    return shortcode + " - Safaricom Daraja " + (shortcode.size() >= 3 ? shortcode.substr(shortcode.size() - 3) : "");
}

}  // namespace haven::sim
