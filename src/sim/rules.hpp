#pragma once
// Scenario rules: "when a request to <api> matches <when>, do <then>". First matching rule wins.
// JSON format (POST /sim/v1/rules and --scenario FILE):
//   {"rules":[{"api":"stkpush","when":{"amount":1032},"then":{"resultCode":"1032","delayMs":200}}],
//    "replace":true}
// Not thread-safe: the Simulator guards a RuleSet with its state mutex.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace haven::sim {

/// APIs a rule can target.
/// stkpush, stkquery, b2c, reversal, balance, status, c2b, c2bregister, oauth, any.
bool IsKnownRuleApi(const std::string& api);

struct RuleWhen {
    std::optional<int64_t> amount;
    std::optional<std::string> phone;              // normalised 2547...
    std::optional<std::string> account_reference;  // exact, trimmed
};

struct RuleThen {
    std::optional<std::string> result_code;  // "0" success; "1032", "R000002", ...
    std::optional<std::string> result_desc;  // overrides the usual ResultDesc
    std::optional<int64_t> delay_ms;         // before the outcome / callback
    std::optional<int> callbacks;            // 0 = never call back; 2, 3 = duplicates
    bool out_of_order = false;               // callback delivered before the synchronous answer
    std::optional<int> http_status;          // answer synchronously with an error envelope
    std::string error_code;
    std::string error_message;
    std::optional<int64_t> slow_ms;  // delay the synchronous answer
    bool queue_timeout = false;      // post to QueueTimeOutURL instead of ResultURL
    bool invalidate_token = false;   // revoke the caller's token and answer 404.001.03
    bool manual = false;             // STK: wait for the virtual phone (control API)
};

struct Rule {
    std::string api = "any";
    RuleWhen when;
    RuleThen then;
    std::optional<int> times;  // fire at most this many times (absent = always)
    int hits = 0;
};

/// What a request offers to match on (absent when the API has no such field).
struct RuleSubject {
    std::optional<int64_t> amount;
    std::optional<std::string> phone;
    std::optional<std::string> account_reference;
};

/// Parses {"rules":[...]} or a bare array. Unknown api or wrong types -> kValidation naming the rule.
core::Result<std::vector<Rule>> ParseRules(const nlohmann::json& doc);
nlohmann::json RuleToJson(const Rule& rule);
bool RuleMatches(const Rule& rule, const std::string& api, const RuleSubject& subject);

class RuleSet {
  public:
    void Add(std::vector<Rule> rules, bool replace);
    void Clear() { rules_.clear(); }
    /// First rule for api (or "any") whose conditions all hold and whose times are not used up;
    /// counts the hit.
    std::optional<RuleThen> Match(const std::string& api, const RuleSubject& subject);
    nlohmann::json ToJson() const;
    size_t Size() const { return rules_.size(); }

  private:
    std::vector<Rule> rules_;
};

}  // namespace haven::sim
