// Reversal request and its Result (docs/daraja.md §6), against the ledger's receipts.
#include "sim/core.hpp"

namespace haven::sim {

namespace {

constexpr const char* kReversalQueueUrl = "https://internalsandbox.safaricom.co.ke/mpesa/reversalresults/v1/submit";

struct ReversalRequest : AsyncRequest {
    std::string transaction_id;
    int64_t amount = 0;
    std::string receiver_party;
};

Delivery Outcome(Core& c, const ReversalRequest& r, const std::optional<RuleThen>& rule) {
    auto now = c.Now();
    std::string code = InitialResultCode(c, r, rule);
    if (auto timeout = QueueTimeoutDelivery(c, "reversal", r, rule, now)) return *timeout;
    Json refs = Json::array({KeyValue("QueueTimeoutURL", kReversalQueueUrl)});
    std::lock_guard lock(c.mu);
    const LedgerEntry* original = c.ledger.FindByReceipt(r.transaction_id);
    if (code == "0") {
        if (original == nullptr || original->kind == EntryKind::kReversal || original->kind == EntryKind::kB2c) {
            code = "R000002";
        } else if (original->reversed) {
            code = "R000001";
        } else if (r.amount > original->amount) {
            code = "R000002";
        }
    }
    std::string desc = ResultDesc(code, rule);
    Json body;
    if (code == "0") {
        LedgerEntry entry;
        entry.kind = EntryKind::kReversal;
        entry.receipt = c.ids.Receipt(now);
        entry.amount = r.amount;
        entry.msisdn = original->msisdn;
        entry.shortcode = r.receiver_party;
        entry.conversation_id = r.conversation_id;
        entry.originator_conversation_id = r.originator_id;
        entry.command_id = "TransactionReversal";
        entry.reason = "Reversal";
        entry.time = now;
        std::string receipt = entry.receipt;
        std::string msisdn = original->msisdn;
        c.ledger.Reverse(r.transaction_id, std::move(entry));
        Json params = Json::array({KeyValue("DebitAccountBalance", c.ledger.UtilityBalanceString()),
                                   KeyValue("Amount", static_cast<double>(r.amount)),
                                   KeyValue("TransCompletedTime", EatNumber(now)),
                                   KeyValue("OriginalTransactionID", r.transaction_id), KeyValue("Charge", 0.0),
                                   KeyValue("CreditPartyPublicName", CustomerPublicName(c, msisdn)),
                                   KeyValue("DebitPartyPublicName", OrgPublicName(r.receiver_party))});
        body = ResultEnvelope(0, desc, r.originator_id, r.conversation_id, receipt, params, refs);
    } else {
        body = ResultEnvelope(ResultCodeJson(code), desc, r.originator_id, r.conversation_id, c.ids.ZeroReceipt(now),
                              Json::array(), refs);
    }
    return ResultDelivery("reversal", r, std::move(body), rule);
}

RuleSubject ReversalSubject(const Json& body) {
    RuleSubject subject;
    subject.amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    return subject;
}

net::Response Request(Core& c, DarajaCall& call) {
    const Json& body = call.body;

    ReversalRequest r;
    if (auto e = ReadInitiator(c, body, "Initiator", r.initiator, r.credential)) return *e;
    if (FieldText(body, "CommandID").value_or("") != "TransactionReversal") return c.BadRequest("CommandID");
    r.transaction_id = FieldText(body, "TransactionID").value_or("");
    if (!IsReceipt(r.transaction_id)) return c.BadRequest("TransactionID");
    auto amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    if (!amount) return c.BadRequest("Amount");
    r.amount = *amount;
    r.receiver_party = FieldText(body, "ReceiverParty").value_or("");
    if (!IsShortcode(r.receiver_party)) return c.BadRequest("ReceiverParty");
    // Daraja's spelling is RecieverIdentifierType; accept the correct one too. Optional, as some SDKs omit it.
    auto identifier = FieldTextAny(body, {"RecieverIdentifierType", "ReceiverIdentifierType"});
    if (identifier && !IsDigits(*identifier)) return c.BadRequest("RecieverIdentifierType");
    if (auto e = ReadUrl(c, body, "ResultURL", r.result_url)) return *e;
    if (auto e = ReadUrl(c, body, "QueueTimeOutURL", r.queue_timeout_url)) return *e;
    auto remarks = FieldText(body, "Remarks").value_or("");
    if (remarks.empty() || remarks.size() > 100) return c.BadRequest("Remarks");

    return AcceptAsync(c, call, std::move(r), Outcome);
}

}  // namespace

void RegisterReversal(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(router, core, "POST", "/mpesa/reversal/v1/request",
                   {"reversal", true, "Initiator", ReversalSubject, Request});
}

}  // namespace haven::sim
