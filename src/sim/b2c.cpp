// B2C payment request v1 and v3 and its Result (docs/daraja.md §5).
#include <spdlog/spdlog.h>

#include "core/phone.hpp"
#include "sim/core.hpp"

namespace haven::sim {

namespace {

constexpr const char* kB2cQueueUrl = "https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit";

struct B2cRequest : AsyncRequest {
    std::string command_id;
    int64_t amount = 0;
    std::string party_a;
    std::string party_b;
};

Json ReferenceItems() { return Json::array({KeyValue("QueueTimeoutURL", kB2cQueueUrl)}); }

std::string ReasonFor(const std::string& command_id) {
    if (command_id == "SalaryPayment") return "Salary Payment via API";
    if (command_id == "PromotionPayment") return "Promotion Payment via API";
    return "Business Payment to Customer via API";
}

/// Decides and books the outcome; returns the Result to post.
Delivery Outcome(Core& c, const B2cRequest& r, const std::optional<RuleThen>& rule) {
    auto now = c.Now();
    std::string code = InitialResultCode(c, r, rule);
    if (auto timeout = QueueTimeoutDelivery(c, "b2c", r, rule, now)) return *timeout;
    std::lock_guard lock(c.mu);
    if (code == "0" && !c.ledger.CanPay(r.amount, c.options.b2c_charge_cents)) code = "1";
    std::string desc = ResultDesc(code, rule);
    Json body;
    if (code == "0") {
        LedgerEntry entry;
        entry.kind = EntryKind::kB2c;
        entry.receipt = c.ids.Receipt(now);
        entry.amount = r.amount;
        entry.charge_cents = c.options.b2c_charge_cents;
        entry.msisdn = r.party_b;
        entry.shortcode = r.party_a;
        entry.conversation_id = r.conversation_id;
        entry.originator_conversation_id = r.originator_id;
        entry.command_id = r.command_id;
        entry.reason = ReasonFor(r.command_id);
        entry.time = now;
        std::string receipt = entry.receipt;
        c.ledger.Pay(std::move(entry));
        const Balances& b = c.ledger.Accounts();
        Json params =
            Json::array({KeyValue("TransactionAmount", r.amount), KeyValue("TransactionReceipt", receipt),
                         KeyValue("ReceiverPartyPublicName", CustomerPublicName(c, r.party_b)),
                         KeyValue("TransactionCompletedDateTime", FormatEat(now, "%d.%m.%Y %H:%M:%S")),
                         KeyValue("B2CUtilityAccountAvailableFunds", CentsToNumber(b.utility_cents)),
                         KeyValue("B2CWorkingAccountAvailableFunds", CentsToNumber(b.working_cents)),
                         KeyValue("B2CRecipientIsRegisteredCustomer", "Y"),
                         KeyValue("B2CChargesPaidAccountAvailableFunds", CentsToNumber(b.charges_paid_cents))});
        body = ResultEnvelope(0, desc, r.originator_id, r.conversation_id, receipt, params, ReferenceItems());
    } else {
        // Insufficient funds carries a real-looking receipt, other failures a zero-padded one.
        std::string tx = code == "1" ? c.ids.Receipt(now) : c.ids.ZeroReceipt(now);
        body = ResultEnvelope(ResultCodeJson(code), desc, r.originator_id, r.conversation_id, tx, Json::array(),
                              ReferenceItems());
    }
    spdlog::info("simulator: B2C {} to {} ended with {}", r.conversation_id, core::MaskPhone(r.party_b), code);
    return ResultDelivery("b2c", r, std::move(body), rule);
}

RuleSubject PaymentSubject(const Json& body) {
    RuleSubject subject;
    subject.amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    subject.phone = FieldText(body, "PartyB");
    return subject;
}

net::Response Payment(Core& c, DarajaCall& call, int version) {
    const Json& body = call.body;

    B2cRequest r;
    if (version == 3) {
        r.originator_id = FieldText(body, "OriginatorConversationID").value_or("");
        if (r.originator_id.empty()) return c.BadRequest("OriginatorConversationID");
    }
    if (auto e = ReadInitiator(c, body, "InitiatorName", r.initiator, r.credential)) return *e;
    r.command_id = FieldText(body, "CommandID").value_or("");
    if (r.command_id != "BusinessPayment" && r.command_id != "SalaryPayment" && r.command_id != "PromotionPayment") {
        return c.BadRequest("CommandID");
    }
    auto amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    if (!amount || *amount < c.options.b2c_min_amount || *amount > c.options.max_amount) return c.BadRequest("Amount");
    r.amount = *amount;
    r.party_a = FieldText(body, "PartyA").value_or("");
    if (!IsShortcode(r.party_a)) return c.BadRequest("PartyA");
    r.party_b = FieldText(body, "PartyB").value_or("");
    if (!IsMsisdn(r.party_b)) return c.BadRequest("PartyB");
    auto remarks = FieldText(body, "Remarks").value_or("");
    if (remarks.empty() || remarks.size() > 100) return c.BadRequest("Remarks");
    if (auto e = ReadUrl(c, body, "QueueTimeOutURL", r.queue_timeout_url)) return *e;
    if (auto e = ReadUrl(c, body, "ResultURL", r.result_url)) return *e;

    auto now = c.Now();
    r.conversation_id = c.ids.ConversationId(now);
    if (version == 3) {
        std::lock_guard lock(c.mu);
        if (!c.originator_ids.insert(r.originator_id).second) {
            return c.DarajaError("500.002.1001", "Duplicate OriginatorConversationID.");
        }
    } else {
        r.originator_id = c.ids.RequestStyleId();
    }
    Json ack = AsyncAck(r.originator_id, r.conversation_id);
    SendOutcome(c, call, [r, rule = call.rule](Core& core) { return Outcome(core, r, rule); });
    // Daraja's ack lists ConversationID first for B2C.
    return net::Response::Json(200, {{"ConversationID", ack["ConversationID"]},
                                     {"OriginatorConversationID", ack["OriginatorConversationID"]},
                                     {"ResponseCode", "0"},
                                     {"ResponseDescription", ack["ResponseDescription"]}});
}

}  // namespace

void RegisterB2c(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(
        router, core, "POST", "/mpesa/b2c/v1/paymentrequest",
        {"b2c", true, "InitiatorName", PaymentSubject, [](Core& c, DarajaCall& call) { return Payment(c, call, 1); }});
    AddDarajaRoute(router, core, "POST", "/mpesa/b2c/v3/paymentrequest",
                   {"b2c", true, "OriginatorConversationID", PaymentSubject,
                    [](Core& c, DarajaCall& call) { return Payment(c, call, 3); }});
}

}  // namespace haven::sim
