#pragma once
// Parser for the Results Daraja POSTs to ResultURL / QueueTimeOutURL (B2C, reversal, account balance,
// transaction status): {"Result":{...}}. Tolerates Daraja's shapes: ResultParameter as a list or a bare
// object, value-less items, ResultCode as a number or a string, keys in any order.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::daraja {

struct ResultNotice {
    std::string result_code;  // "0", "1", "2001", "R000002" (numbers as text)
    std::string result_desc;
    std::string originator_conversation_id;
    std::string conversation_id;
    std::string transaction_id;                        // receipt (zero-padded on failures)
    std::map<std::string, nlohmann::json> params;      // ResultParameters: Key -> Value (null when value-less)
    std::map<std::string, nlohmann::json> references;  // ReferenceData items

    bool ok() const { return result_code == "0"; }
    /// A parameter as text ("" when absent or value-less); integral numbers lose ".0".
    std::string Param(const std::string& key) const;
};

/// kValidation when the envelope or both conversation ids are missing.
core::Result<ResultNotice> ParseResult(const nlohmann::json& body);

struct BalanceAccount {
    std::string name;
    std::string currency;
    double current = 0;
    double available = 0;
    double reserved = 0;
    double uncleared = 0;
};

/// "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|..." -> accounts; kValidation when malformed.
core::Result<std::vector<BalanceAccount>> ParseAccountBalance(std::string_view text);

}  // namespace haven::daraja
