// C2B register URL (v1/v2), simulate, then validation -> confirmation (docs/daraja.md §9).
#include <spdlog/spdlog.h>

#include "sim/core.hpp"

namespace haven::sim {

namespace {

struct C2bPayment {
    std::string shortcode;
    std::string command_id;
    int64_t amount = 0;
    std::string msisdn;
    std::string bill_ref;
    int path_version = 1;
};

Json Notification(Core& c, const C2bPayment& p, const std::string& receipt, TimePoint now, int version,
                  const std::string& org_balance, const std::string& third_party_id) {
    auto space = c.options.customer_name.find(' ');
    std::string first = space == std::string::npos ? c.options.customer_name : c.options.customer_name.substr(0, space);
    std::string last = space == std::string::npos ? "" : c.options.customer_name.substr(space + 1);
    return {{"TransactionType", p.command_id == "CustomerBuyGoodsOnline" ? "Buy Goods" : "Pay Bill"},
            {"TransID", receipt},
            {"TransTime", FormatEat(now, "%Y%m%d%H%M%S")},
            {"TransAmount", FormatCents(p.amount * 100)},
            {"BusinessShortCode", p.shortcode},
            {"BillRefNumber", p.command_id == "CustomerBuyGoodsOnline" ? "" : p.bill_ref},
            {"InvoiceNumber", ""},
            {"OrgAccountBalance", org_balance},
            {"ThirdPartyTransID", third_party_id},
            {"MSISDN", version == 1 ? Sha256Hex(p.msisdn) : MaskMsisdnC2b(p.msisdn)},
            {"FirstName", first},
            {"MiddleName", ""},
            {"LastName", last}};
}

/// Runs on the worker pool: validation (when enabled), booking, confirmation.
/// Validation (when on), then the ledger; returns the confirmation to post, if any. Blocking (the validation call).
std::optional<Delivery> Complete(Core& c, const C2bPayment& p, const std::optional<RuleThen>& rule) {
    auto now = c.Now();
    std::string receipt = c.ids.Receipt(now);
    std::optional<C2bRegistration> reg;
    {
        std::lock_guard lock(c.mu);
        if (auto it = c.c2b.find(p.shortcode); it != c.c2b.end()) reg = it->second;
    }
    int version = reg ? reg->version : p.path_version;
    if (rule && rule->result_code && *rule->result_code != "0") {
        spdlog::info("simulator: C2B {} refused by rule ({})", receipt, *rule->result_code);
        return std::nullopt;
    }
    std::string third_party_id;
    if (reg && c.options.c2b_external_validation && !reg->validation_url.empty()) {
        auto res = c.PostJson("c2b.validation", reg->validation_url, Notification(c, p, receipt, now, version, "", ""),
                              1, c.options.c2b_validation_timeout);
        bool accepted = reg->response_type == "Completed";  // no usable answer: ResponseType decides
        if (res && res->status >= 200 && res->status < 300) {
            Json answer = Json::parse(res->body, nullptr, false);
            if (answer.is_object()) {
                std::string code = FieldText(answer, "ResultCode").value_or("");
                accepted = code == "0";
                third_party_id = FieldText(answer, "ThirdPartyTransID").value_or("");
            }
        }
        if (!accepted) {
            spdlog::info("simulator: C2B {} rejected by validation", receipt);
            return std::nullopt;
        }
    }
    std::string balance;
    {
        std::lock_guard lock(c.mu);
        LedgerEntry entry;
        entry.kind = EntryKind::kC2b;
        entry.receipt = receipt;
        entry.amount = p.amount;
        entry.msisdn = p.msisdn;
        entry.shortcode = p.shortcode;
        entry.account_reference = p.bill_ref;
        entry.command_id = p.command_id;
        entry.reason = p.command_id == "CustomerBuyGoodsOnline" ? "Pay Merchant" : "Pay Bill Online";
        entry.time = now;
        c.ledger.Receive(std::move(entry));
        balance = FormatCents(c.ledger.Accounts().utility_cents);
    }
    if (!reg) return std::nullopt;  // nothing registered: M-Pesa just completes the payment
    int times = rule && rule->callbacks ? *rule->callbacks : 1;
    return Delivery{"c2b.confirmation", reg->confirmation_url,
                    Notification(c, p, receipt, now, version, balance, third_party_id), times};
}

net::Response Register(Core& c, DarajaCall& call, int version) {
    const Json& body = call.body;
    C2bRegistration reg;
    reg.version = version;
    reg.shortcode = FieldText(body, "ShortCode").value_or("");
    if (!IsShortcode(reg.shortcode)) return c.BadRequest("ShortCode");
    reg.response_type = FieldText(body, "ResponseType").value_or("");
    if (reg.response_type != "Completed" && reg.response_type != "Cancelled") return c.BadRequest("ResponseType");
    for (auto [key, field] : {std::pair{"ConfirmationURL", &C2bRegistration::confirmation_url},
                              std::pair{"ValidationURL", &C2bRegistration::validation_url}}) {
        std::string url = FieldText(body, key).value_or("");
        if (!IsHttpUrl(url) || (c.options.reject_keywords_in_c2b_urls && HasForbiddenUrlKeyword(url))) {
            return c.BadRequest(key);
        }
        reg.*field = url;
    }
    {
        std::lock_guard lock(c.mu);
        if (c.options.c2b_reregister_error && c.c2b.count(reg.shortcode) != 0) {
            return c.DarajaError("500.003.1001", "Urls are already registered.");
        }
        c.c2b[reg.shortcode] = reg;
    }
    return net::Response::Json(200, {{"OriginatorCoversationID", c.ids.RequestStyleId()},
                                     {"ResponseCode", "0"},
                                     {"ResponseDescription", version == 1 ? "success" : "Success"}});
}

RuleSubject SimulateSubject(const Json& body) {
    RuleSubject subject;
    subject.amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    subject.phone = FieldText(body, "Msisdn");
    subject.account_reference = FieldText(body, "BillRefNumber");
    return subject;
}

net::Response Simulate(Core& c, DarajaCall& call, int version) {
    const Json& body = call.body;
    const auto& rule = call.rule;
    C2bPayment p;
    p.path_version = version;
    p.shortcode = FieldText(body, "ShortCode").value_or("");
    if (!IsShortcode(p.shortcode)) return c.BadRequest("ShortCode");
    p.command_id = FieldText(body, "CommandID").value_or("");
    if (p.command_id != "CustomerPayBillOnline" && p.command_id != "CustomerBuyGoodsOnline") {
        return c.BadRequest("CommandID");
    }
    auto amount = ParseWholeAmount(FieldText(body, "Amount").value_or(""));
    if (!amount || *amount > c.options.max_amount) return c.BadRequest("Amount");
    p.amount = *amount;
    p.msisdn = FieldText(body, "Msisdn").value_or("");
    if (!IsMsisdn(p.msisdn)) return c.BadRequest("Msisdn");
    p.bill_ref = FieldText(body, "BillRefNumber").value_or("");

    Core* core = &c;
    if (rule && rule->out_of_order) {
        if (auto d = Complete(c, p, rule)) call.before_answer.push_back(std::move(*d));
    } else {
        core->Schedule(c.OutcomeDelay(rule), [core, p, rule]() {
            if (auto d = Complete(*core, p, rule)) core->Deliver(std::move(*d));
        });
    }
    return net::Response::Json(200, {{"OriginatorCoversationID", c.ids.RequestStyleId()},
                                     {"ResponseCode", "0"},
                                     {"ResponseDescription", "Accept the service request successfully."}});
}

}  // namespace

void RegisterC2b(net::Router& router, const std::shared_ptr<Core>& core) {
    for (int v : {1, 2}) {
        std::string prefix = "/mpesa/c2b/v" + std::to_string(v);
        AddDarajaRoute(
            router, core, "POST", prefix + "/registerurl",
            {"c2bregister", true, "ShortCode", {}, [v](Core& c, DarajaCall& call) { return Register(c, call, v); }});
        AddDarajaRoute(router, core, "POST", prefix + "/simulate",
                       {"c2b", true, "ShortCode", SimulateSubject,
                        [v](Core& c, DarajaCall& call) { return Simulate(c, call, v); }});
    }
}

}  // namespace haven::sim
