#pragma once
// Parsers for what Daraja POSTs to us. They accept Daraja's shapes as they are on the wire
// (numbers as strings or numbers, items in any order, value-less items) and reject the rest.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace haven::daraja {

struct StkCallback {
    std::string merchant_request_id;
    std::string checkout_request_id;
    int64_t result_code = -1;
    std::string result_desc;
    // CallbackMetadata (present only when result_code == 0)
    std::optional<int64_t> amount;
    std::string mpesa_receipt_number;
    std::string transaction_date;  // yyyyMMddHHmmss as text
    std::string phone_number;
};

/// {"Body":{"stkCallback":{...}}} -> StkCallback; kValidation when the envelope or ids are missing.
core::Result<StkCallback> ParseStkCallback(const nlohmann::json& body);

/// Reads a JSON number or numeric string as text ("" for other types); integral doubles lose ".0".
std::string JsonScalarText(const nlohmann::json& v);

}  // namespace haven::daraja
