// M-Pesa Express: STK push, STK query and the callback (docs/daraja.md §3-4).
#include <spdlog/spdlog.h>

#include "core/phone.hpp"
#include "sim/core.hpp"

namespace haven::sim {

std::string StkResultDesc(const std::string& code, bool for_query) {
    if (code == "0") return "The service request is processed successfully.";
    if (code == "1") return "The balance is insufficient for the transaction.";
    if (code == "17") return "Rule limited.";
    if (code == "26") return "System busy. The service request is rejected.";
    if (code == "1001")
        return "Unable to lock subscriber, a transaction is already in process for the current subscriber";
    if (code == "1019") return "Transaction has expired";
    if (code == "1025") return "An error occurred while sending a push request";
    if (code == "1032") return for_query ? "Request cancelled by user" : "Request Cancelled by user.";
    if (code == "1037") return for_query ? "DS timeout user cannot be reached" : "DS timeout user cannot be reached.";
    if (code == "2001") return "The initiator information is invalid.";
    if (code == "9999") return "An error occurred while sending a push request";
    return ResultDescFor(code);
}

Json StkCallbackBody(const StkSession& s) {
    Json cb = {{"MerchantRequestID", s.merchant_request_id},
               {"CheckoutRequestID", s.checkout_request_id},
               {"ResultCode", ResultCodeJson(s.result_code)},
               {"ResultDesc", s.result_desc}};
    if (s.result_code == "0") {
        cb["CallbackMetadata"] = {
            {"Item", Json::array({{{"Name", "Amount"}, {"Value", s.amount}},
                                  {{"Name", "MpesaReceiptNumber"}, {"Value", s.receipt}},
                                  {{"Name", "Balance"}},
                                  {{"Name", "TransactionDate"}, {"Value", EatNumber(s.completed)}},
                                  {{"Name", "PhoneNumber"}, {"Value", std::stoll(s.phone)}}})}};
    }
    return {{"Body", {{"stkCallback", cb}}}};
}

Json StkQueryBody(const StkSession& s) {
    return {{"ResponseCode", "0"},
            {"ResponseDescription", "The service request has been accepted successsfully"},
            {"MerchantRequestID", s.merchant_request_id},
            {"CheckoutRequestID", s.checkout_request_id},
            {"ResultCode", s.result_code},
            {"ResultDesc", StkResultDesc(s.result_code, true)}};
}

std::optional<Delivery> FinalizeStk(Core& c, const std::string& checkout_request_id, const std::string& code,
                                    std::optional<std::string> desc) {
    std::lock_guard lock(c.mu);
    auto it = c.stk.find(checkout_request_id);
    if (it == c.stk.end() || it->second.final) return std::nullopt;
    StkSession& s = it->second;
    s.final = true;
    s.waiting_phone = false;
    s.result_code = code;
    s.result_desc = desc.value_or(StkResultDesc(code, false));
    s.completed = c.Now();
    if (code == "0") {
        s.receipt = c.ids.Receipt(s.completed);
        LedgerEntry entry;
        entry.kind = EntryKind::kStk;
        entry.receipt = s.receipt;
        entry.amount = s.amount;
        entry.msisdn = s.phone;
        entry.shortcode = s.party_b;
        entry.account_reference = s.account_reference;
        entry.conversation_id = s.checkout_request_id;
        entry.originator_conversation_id = s.merchant_request_id;
        entry.command_id = s.transaction_type;
        entry.reason = "Pay Bill Online";
        entry.time = s.completed;
        c.ledger.Receive(std::move(entry));
    }
    auto lock_it = c.phone_locks.find(s.phone);
    if (lock_it != c.phone_locks.end() && lock_it->second == s.checkout_request_id) c.phone_locks.erase(lock_it);
    spdlog::info("simulator: STK {} for {} ended with {}", core::MaskDigitRuns(s.checkout_request_id),
                 core::MaskPhone(s.phone), code);
    return Delivery{"stkcallback", s.callback_url, StkCallbackBody(s), s.plan.callbacks.value_or(1)};
}

namespace {

/// Password, Timestamp and shortcode checks shared by push and query; a response means "refuse".
std::optional<net::Response> CheckPassword(Core& c, const Json& body, std::string& shortcode) {
    shortcode = FieldText(body, "BusinessShortCode").value_or("");
    if (!IsShortcode(shortcode)) return c.BadRequest("BusinessShortCode");
    auto password = FieldText(body, "Password");
    if (!password || password->empty()) return c.BadRequest("Password");
    auto timestamp = FieldText(body, "Timestamp").value_or("");
    auto when = ParseEatTimestamp(timestamp);
    if (!when) return c.BadRequest("Timestamp");
    if (c.options.strict_timestamp) {
        auto diff = c.Now() - *when;
        if (diff > c.options.timestamp_tolerance || -diff > c.options.timestamp_tolerance) {
            return c.BadRequest("Timestamp");
        }
    }
    // Remaining checks come after the field checks, so keep the password for the caller.
    const auto& codes = c.options.stk_shortcodes;
    if (!codes.empty() && std::find(codes.begin(), codes.end(), shortcode) == codes.end()) {
        return c.DarajaError("500.001.1001", "Merchant does not exist");
    }
    if (*password != Base64Encode(shortcode + c.options.passkey + timestamp)) {
        return c.DarajaError("500.001.1001", "Wrong credentials");
    }
    return std::nullopt;
}

/// §12.4: true when PartyA paid the same amount successfully less than rule_limit_window ago. Needs c.mu.
bool RuleLimited(const Core& c, const std::string& party_a, int64_t amount, TimePoint now) {
    if (c.options.rule_limit_window <= std::chrono::seconds::zero()) return false;
    for (const auto& [id, other] : c.stk) {
        if (other.final && other.result_code == "0" && other.party_a == party_a && other.amount == amount &&
            now - other.completed < c.options.rule_limit_window) {
            return true;
        }
    }
    return false;
}

RuleSubject PushSubject(const Json& body) {
    RuleSubject subject;
    subject.amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    subject.phone = FieldText(body, "PhoneNumber");
    subject.account_reference = FieldText(body, "AccountReference");
    return subject;
}

net::Response Push(Core& c, DarajaCall& call) {
    const Json& body = call.body;
    const auto& rule = call.rule;

    std::string shortcode = FieldText(body, "BusinessShortCode").value_or("");
    if (!IsShortcode(shortcode)) return c.BadRequest("BusinessShortCode");
    if (!FieldText(body, "Password")) return c.BadRequest("Password");
    if (!ParseEatTimestamp(FieldText(body, "Timestamp").value_or(""))) return c.BadRequest("Timestamp");
    std::string type = FieldText(body, "TransactionType").value_or("");
    if (type != "CustomerPayBillOnline" && type != "CustomerBuyGoodsOnline") return c.BadRequest("TransactionType");
    auto amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    if (!amount || *amount > c.options.max_amount) return c.BadRequest("Amount");
    std::string party_a = FieldText(body, "PartyA").value_or("");
    if (!IsMsisdn(party_a)) return c.BadRequest("PartyA");
    std::string party_b = FieldText(body, "PartyB").value_or("");
    if (!IsShortcode(party_b)) return c.BadRequest("PartyB");
    std::string phone = FieldText(body, "PhoneNumber").value_or("");
    if (!IsMsisdn(phone)) return c.BadRequest("PhoneNumber");
    std::string callback_url = FieldText(body, "CallBackURL").value_or("");
    if (!IsHttpUrl(callback_url) ||
        (c.options.reject_keywords_in_stk_callback && HasForbiddenUrlKeyword(callback_url))) {
        return c.BadRequest("CallBackURL");
    }
    auto account_reference = FieldText(body, "AccountReference");
    if (!account_reference || (c.options.enforce_reference_limits && account_reference->size() > 12)) {
        return c.BadRequest("AccountReference");
    }
    if (body.contains("TransactionDesc") && body["TransactionDesc"].is_null()) return c.BadRequest("Remarks");
    auto desc = FieldText(body, "TransactionDesc").value_or("");
    if (c.options.enforce_reference_limits && desc.size() > 13) return c.BadRequest("TransactionDesc");
    if (auto e = CheckPassword(c, body, shortcode)) return *e;

    auto now = c.Now();
    StkSession s;
    s.merchant_request_id = c.ids.RequestStyleId();
    s.checkout_request_id = c.ids.CheckoutRequestId(now, phone);
    s.phone = phone;
    s.party_a = party_a;
    s.shortcode = shortcode;
    s.party_b = party_b;
    s.transaction_type = type;
    s.callback_url = callback_url;
    s.account_reference = *account_reference;
    s.amount = *amount;
    s.created = now;
    s.plan = rule.value_or(RuleThen{});
    bool wait_for_phone = (rule && rule->manual) || (c.options.interactive_stk && !(rule && rule->result_code));
    s.expires = now + c.options.interactive_timeout;
    std::string id = s.checkout_request_id;
    bool rule_limited = false;
    {
        std::lock_guard lock(c.mu);
        if (c.phone_locks.count(phone) != 0) {
            return c.DarajaError("500.001.1001",
                                 "Unable to lock subscriber, a transaction is already in process for the current "
                                 "subscriber");
        }
        // A scenario rule that names the outcome (or hands it to the virtual phone) wins over the rule limit.
        if (!(rule && (rule->result_code || rule->manual))) rule_limited = RuleLimited(c, party_a, *amount, now);
        if (rule_limited) wait_for_phone = false;
        s.waiting_phone = wait_for_phone;
        c.phone_locks[phone] = id;
        c.stk[id] = s;
    }
    Json ack = {{"MerchantRequestID", s.merchant_request_id},
                {"CheckoutRequestID", id},
                {"ResponseCode", "0"},
                {"ResponseDescription", "Success. Request accepted for processing"},
                {"CustomerMessage", "Success. Request accepted for processing"}};

    std::string code = rule_limited ? "17" : rule && rule->result_code ? *rule->result_code : "0";
    std::optional<std::string> desc_override = rule ? rule->result_desc : std::nullopt;
    Core* core = &c;
    if (wait_for_phone) {
        core->Schedule(c.options.interactive_timeout, [core, id]() {
            if (auto d = FinalizeStk(*core, id, "1037")) core->Deliver(*d);
        });
    } else if (rule && rule->out_of_order) {
        // The callback reaches the merchant before the synchronous acknowledgement does.
        if (auto d = FinalizeStk(c, id, code, desc_override)) call.before_answer.push_back(std::move(*d));
    } else {
        core->Schedule(c.OutcomeDelay(rule), [core, id, code, desc_override]() {
            if (auto d = FinalizeStk(*core, id, code, desc_override)) core->Deliver(*d);
        });
    }
    return net::Response::Json(200, ack);
}

net::Response Query(Core& c, DarajaCall& call) {
    const Json& body = call.body;
    std::string shortcode;
    if (!IsShortcode(FieldText(body, "BusinessShortCode").value_or(""))) return c.BadRequest("BusinessShortCode");
    if (!FieldText(body, "Password")) return c.BadRequest("Password");
    if (!ParseEatTimestamp(FieldText(body, "Timestamp").value_or(""))) return c.BadRequest("Timestamp");
    std::string id = FieldText(body, "CheckoutRequestID").value_or("");
    if (id.empty()) return c.BadRequest("CheckoutRequestID");
    if (auto e = CheckPassword(c, body, shortcode)) return *e;
    std::lock_guard lock(c.mu);
    auto it = c.stk.find(id);
    if (it == c.stk.end()) {
        return c.options.unknown_checkout_as_bad_request
                   ? c.BadRequest("CheckoutRequestID")
                   : c.DarajaError("500.001.1001", "The transaction does not exist");
    }
    if (!it->second.final) return c.DarajaError("500.001.1001", "The transaction is being processed", id);
    return net::Response::Json(200, StkQueryBody(it->second));
}

}  // namespace

void RegisterStk(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(router, core, "POST", "/mpesa/stkpush/v1/processrequest",
                   {"stkpush", true, "BusinessShortCode", PushSubject, Push});
    AddDarajaRoute(router, core, "POST", "/mpesa/stkpushquery/v1/query",
                   {"stkquery", true, "BusinessShortCode", {}, Query});
}

}  // namespace haven::sim
