#include "sim/rules.hpp"

#include <array>

#include "sim/wire.hpp"

namespace haven::sim {

namespace {

constexpr std::array<const char*, 10> kApis = {"stkpush", "stkquery", "b2c",         "reversal", "balance",
                                               "status",  "c2b",      "c2bregister", "oauth",    "any"};

using core::Error;

core::Result<std::optional<int64_t>> OptInt(const nlohmann::json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
    if (it->is_number_integer()) return std::optional<int64_t>{it->get<int64_t>()};
    if (it->is_string() && IsDigits(Trim(it->get<std::string>()))) {
        return std::optional<int64_t>{std::stoll(Trim(it->get<std::string>()))};
    }
    return tl::unexpected(Error::Validation(where + "." + key, std::string(key) + " must be a whole number"));
}

core::Result<std::optional<std::string>> OptText(const nlohmann::json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
    if (it->is_string()) return std::optional<std::string>{Trim(it->get<std::string>())};
    if (it->is_number_integer()) return std::optional<std::string>{it->dump()};
    return tl::unexpected(Error::Validation(where + "." + key, std::string(key) + " must be a string"));
}

core::Result<bool> OptBool(const nlohmann::json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return false;
    if (it->is_boolean()) return it->get<bool>();
    return tl::unexpected(Error::Validation(where + "." + key, std::string(key) + " must be true or false"));
}

core::Result<Rule> ParseRule(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) return tl::unexpected(Error::Validation(where, "a rule must be an object"));
    Rule rule;
    if (auto it = j.find("api"); it != j.end()) {
        if (!it->is_string() || !IsKnownRuleApi(Trim(it->get<std::string>()))) {
            return tl::unexpected(
                Error::Validation(where + ".api",
                                  "api must be one of stkpush, stkquery, b2c, reversal, balance, status, c2b, "
                                  "c2bregister, oauth, any"));
        }
        rule.api = Trim(it->get<std::string>());
    }
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const nlohmann::json& when = j.contains("when") ? j["when"] : kEmpty;
    const nlohmann::json& then = j.contains("then") ? j["then"] : kEmpty;
    if (!when.is_object()) return tl::unexpected(Error::Validation(where + ".when", "when must be an object"));
    if (!then.is_object()) return tl::unexpected(Error::Validation(where + ".then", "then must be an object"));
    std::string w = where + ".when";
    std::string t = where + ".then";

    auto amount = OptInt(when, "amount", w);
    if (!amount) return tl::unexpected(amount.error());
    rule.when.amount = *amount;
    auto phone = OptText(when, "phone", w);
    if (!phone) return tl::unexpected(phone.error());
    if (*phone) rule.when.phone = NormalizePhone(**phone);
    auto account = OptText(when, "accountReference", w);
    if (!account) return tl::unexpected(account.error());
    rule.when.account_reference = *account;

    auto code = OptText(then, "resultCode", t);
    if (!code) return tl::unexpected(code.error());
    rule.then.result_code = *code;
    auto desc = OptText(then, "resultDesc", t);
    if (!desc) return tl::unexpected(desc.error());
    rule.then.result_desc = *desc;
    auto delay = OptInt(then, "delayMs", t);
    if (!delay) return tl::unexpected(delay.error());
    rule.then.delay_ms = *delay;
    auto callbacks = OptInt(then, "callbacks", t);
    if (!callbacks) return tl::unexpected(callbacks.error());
    if (*callbacks) {
        if (**callbacks < 0 || **callbacks > 10) {
            return tl::unexpected(Error::Validation(t + ".callbacks", "callbacks must be between 0 and 10"));
        }
        rule.then.callbacks = static_cast<int>(**callbacks);
    }
    auto status = OptInt(then, "httpStatus", t);
    if (!status) return tl::unexpected(status.error());
    if (*status) {
        if (**status < 400 || **status > 599) {
            return tl::unexpected(Error::Validation(t + ".httpStatus", "httpStatus must be 4xx or 5xx"));
        }
        rule.then.http_status = static_cast<int>(**status);
    }
    auto error_code = OptText(then, "errorCode", t);
    if (!error_code) return tl::unexpected(error_code.error());
    rule.then.error_code = error_code->value_or("");
    auto error_message = OptText(then, "errorMessage", t);
    if (!error_message) return tl::unexpected(error_message.error());
    rule.then.error_message = error_message->value_or("");
    auto slow = OptInt(then, "slowMs", t);
    if (!slow) return tl::unexpected(slow.error());
    rule.then.slow_ms = *slow;
    for (auto [key, field] :
         {std::pair{"outOfOrder", &RuleThen::out_of_order}, std::pair{"queueTimeout", &RuleThen::queue_timeout},
          std::pair{"invalidateToken", &RuleThen::invalidate_token}, std::pair{"manual", &RuleThen::manual}}) {
        auto b = OptBool(then, key, t);
        if (!b) return tl::unexpected(b.error());
        rule.then.*field = *b;
    }
    auto times = OptInt(j, "times", where);
    if (!times) return tl::unexpected(times.error());
    if (*times) rule.times = static_cast<int>(**times);
    return rule;
}

}  // namespace

bool IsKnownRuleApi(const std::string& api) {
    for (const char* a : kApis) {
        if (api == a) return true;
    }
    return false;
}

core::Result<std::vector<Rule>> ParseRules(const nlohmann::json& doc) {
    const nlohmann::json* list = &doc;
    if (doc.is_object()) {
        auto it = doc.find("rules");
        if (it == doc.end()) return tl::unexpected(Error::Validation("rules", "rules is required"));
        list = &*it;
    }
    if (!list->is_array()) return tl::unexpected(Error::Validation("rules", "rules must be an array"));
    std::vector<Rule> out;
    for (size_t i = 0; i < list->size(); ++i) {
        auto rule = ParseRule((*list)[i], "rules[" + std::to_string(i) + "]");
        if (!rule) return tl::unexpected(rule.error());
        out.push_back(std::move(*rule));
    }
    return out;
}

nlohmann::json RuleToJson(const Rule& rule) {
    nlohmann::json when = nlohmann::json::object();
    if (rule.when.amount) when["amount"] = *rule.when.amount;
    if (rule.when.phone) when["phone"] = *rule.when.phone;
    if (rule.when.account_reference) when["accountReference"] = *rule.when.account_reference;
    nlohmann::json then = nlohmann::json::object();
    const auto& t = rule.then;
    if (t.result_code) then["resultCode"] = *t.result_code;
    if (t.result_desc) then["resultDesc"] = *t.result_desc;
    if (t.delay_ms) then["delayMs"] = *t.delay_ms;
    if (t.callbacks) then["callbacks"] = *t.callbacks;
    if (t.out_of_order) then["outOfOrder"] = true;
    if (t.http_status) then["httpStatus"] = *t.http_status;
    if (!t.error_code.empty()) then["errorCode"] = t.error_code;
    if (!t.error_message.empty()) then["errorMessage"] = t.error_message;
    if (t.slow_ms) then["slowMs"] = *t.slow_ms;
    if (t.queue_timeout) then["queueTimeout"] = true;
    if (t.invalidate_token) then["invalidateToken"] = true;
    if (t.manual) then["manual"] = true;
    nlohmann::json j = {{"api", rule.api}, {"when", when}, {"then", then}, {"hits", rule.hits}};
    if (rule.times) j["times"] = *rule.times;
    return j;
}

bool RuleMatches(const Rule& rule, const std::string& api, const RuleSubject& subject) {
    if (rule.api != "any" && rule.api != api) return false;
    if (rule.times && rule.hits >= *rule.times) return false;
    if (rule.when.amount && (!subject.amount || *subject.amount != *rule.when.amount)) return false;
    if (rule.when.phone && (!subject.phone || NormalizePhone(*subject.phone) != *rule.when.phone)) return false;
    if (rule.when.account_reference &&
        (!subject.account_reference || *subject.account_reference != *rule.when.account_reference)) {
        return false;
    }
    return true;
}

void RuleSet::Add(std::vector<Rule> rules, bool replace) {
    if (replace) rules_.clear();
    for (auto& r : rules) rules_.push_back(std::move(r));
}

std::optional<RuleThen> RuleSet::Match(const std::string& api, const RuleSubject& subject) {
    for (auto& rule : rules_) {
        if (RuleMatches(rule, api, subject)) {
            ++rule.hits;
            return rule.then;
        }
    }
    return std::nullopt;
}

nlohmann::json RuleSet::ToJson() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : rules_) list.push_back(RuleToJson(r));
    return list;
}

}  // namespace haven::sim
