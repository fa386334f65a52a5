// Transaction status query and its Result (docs/daraja.md §8), answered from the ledger.
#include "sim/core.hpp"

namespace haven::sim {

namespace {

struct StatusRequest : AsyncRequest {
    std::string transaction_id;
    std::string original_conversation_id;
    std::string occasion;
    bool has_occasion = false;
};

Json ParamsFor(const Core& c, const LedgerEntry& e) {
    bool outgoing = e.kind == EntryKind::kB2c || e.kind == EntryKind::kReversal;
    std::string debit = outgoing ? OrgPublicName(e.shortcode) : CustomerPublicName(c, e.msisdn);
    std::string credit = outgoing ? CustomerPublicName(c, e.msisdn) : OrgPublicName(e.shortcode);
    Json charges = e.charge_cents > 0
                       ? KeyValue("DebitPartyCharges", "Fee For B2C Payment|KES|" + FormatCents(e.charge_cents))
                       : KeyOnly("DebitPartyCharges");
    return Json::array({KeyValue("DebitPartyName", debit), KeyValue("CreditPartyName", credit),
                        KeyValue("OriginatorConversationID", e.originator_conversation_id),
                        KeyValue("InitiatedTime", EatNumber(e.time)),
                        KeyValue("DebitAccountType", outgoing ? "Utility Account" : "MMF Account For Customer"),
                        charges, KeyOnly("TransactionReason"), KeyValue("ReasonType", e.reason),
                        KeyValue("TransactionStatus", e.reversed ? "Reversed" : "Completed"),
                        KeyValue("FinalisedTime", EatNumber(e.time)), KeyValue("Amount", e.amount),
                        KeyValue("ConversationID", e.conversation_id), KeyValue("ReceiptNo", e.receipt)});
}

Delivery Outcome(Core& c, const StatusRequest& r, const std::optional<RuleThen>& rule) {
    auto now = c.Now();
    std::string code = InitialResultCode(c, r, rule);
    if (auto timeout = QueueTimeoutDelivery(c, "status", r, rule, now)) return *timeout;
    Json refs = Json::array({r.has_occasion ? KeyValue("Occasion", r.occasion) : KeyOnly("Occasion")});
    Json params = Json::array();
    {
        std::lock_guard lock(c.mu);
        const LedgerEntry* e = nullptr;
        if (!r.transaction_id.empty()) e = c.ledger.FindByReceipt(r.transaction_id);
        if (e == nullptr) e = c.ledger.FindByConversationId(r.original_conversation_id);
        // Not stated anywhere what Daraja answers for an unknown receipt: we use 2032.
        if (code == "0" && e == nullptr) code = "2032";
        if (code == "0") params = ParamsFor(c, *e);
    }
    std::string desc = ResultDesc(code, rule);
    Json body = ResultEnvelope(ResultCodeJson(code), desc, r.originator_id, r.conversation_id, c.ids.ZeroReceipt(now),
                               params, refs);
    return ResultDelivery("status", r, std::move(body), rule);
}

net::Response Query(Core& c, DarajaCall& call) {
    const Json& body = call.body;

    StatusRequest r;
    if (auto e = ReadInitiator(c, body, "Initiator", r.initiator, r.credential)) return *e;
    if (FieldText(body, "CommandID").value_or("") != "TransactionStatusQuery") return c.BadRequest("CommandID");
    r.transaction_id = FieldText(body, "TransactionID").value_or("");
    r.original_conversation_id =
        FieldTextAny(body, {"OriginalConversationID", "OriginatorConversationID"}).value_or("");
    if (r.transaction_id.empty() && r.original_conversation_id.empty()) return c.BadRequest("TransactionID");
    if (!r.transaction_id.empty() && !IsReceipt(r.transaction_id)) return c.BadRequest("TransactionID");
    std::string party_a = FieldText(body, "PartyA").value_or("");
    if (!IsShortcode(party_a) && !IsMsisdn(party_a)) return c.BadRequest("PartyA");
    auto identifier = FieldText(body, "IdentifierType");
    if (identifier && !IsDigits(*identifier)) return c.BadRequest("IdentifierType");
    if (auto e = ReadUrl(c, body, "ResultURL", r.result_url)) return *e;
    if (auto e = ReadUrl(c, body, "QueueTimeOutURL", r.queue_timeout_url)) return *e;
    if (FieldText(body, "Remarks").value_or("").size() > 100) return c.BadRequest("Remarks");
    if (auto occasion = FieldText(body, "Occasion"); occasion && !occasion->empty()) {
        r.occasion = *occasion;
        r.has_occasion = true;
    }

    return AcceptAsync(c, call, std::move(r), Outcome);
}

}  // namespace

void RegisterStatus(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(router, core, "POST", "/mpesa/transactionstatus/v1/query", {"status", true, "Initiator", {}, Query});
}

}  // namespace haven::sim
