// Account balance query and its Result (docs/daraja.md §7).
#include "sim/core.hpp"

namespace haven::sim {

namespace {

constexpr const char* kBalanceQueueUrl = "https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit";

using BalanceRequest = AsyncRequest;

Delivery Outcome(Core& c, const BalanceRequest& r, const std::optional<RuleThen>& rule) {
    auto now = c.Now();
    std::string code = InitialResultCode(c, r, rule);
    if (auto timeout = QueueTimeoutDelivery(c, "balance", r, rule, now)) return *timeout;
    std::string desc = ResultDesc(code, rule);
    Json refs = Json::array({KeyValue("QueueTimeoutURL", kBalanceQueueUrl)});
    Json params = Json::array();
    if (code == "0") {
        std::lock_guard lock(c.mu);
        params.push_back(KeyValue("AccountBalance", c.ledger.AccountBalanceString()));
    }
    params.push_back(KeyValue("BOCompletedTime", EatNumber(now)));
    Json body = ResultEnvelope(ResultCodeJson(code), desc, r.originator_id, r.conversation_id, c.ids.ZeroReceipt(now),
                               params, refs);
    return ResultDelivery("balance", r, std::move(body), rule);
}

net::Response Query(Core& c, DarajaCall& call) {
    const Json& body = call.body;

    BalanceRequest r;
    if (auto e = ReadInitiator(c, body, "Initiator", r.initiator, r.credential)) return *e;
    if (FieldText(body, "CommandID").value_or("") != "AccountBalance") return c.BadRequest("CommandID");
    if (!IsShortcode(FieldText(body, "PartyA").value_or(""))) return c.BadRequest("PartyA");
    auto identifier = FieldText(body, "IdentifierType");
    if (identifier && !IsDigits(*identifier)) return c.BadRequest("IdentifierType");
    if (auto e = ReadUrl(c, body, "QueueTimeOutURL", r.queue_timeout_url)) return *e;
    if (auto e = ReadUrl(c, body, "ResultURL", r.result_url)) return *e;

    return AcceptAsync(c, call, std::move(r), Outcome);
}

}  // namespace

void RegisterBalance(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(router, core, "POST", "/mpesa/accountbalance/v1/query", {"balance", true, "Initiator", {}, Query});
}

}  // namespace haven::sim
