#pragma once
// Parsers for what Daraja POSTs to us. They accept Daraja's shapes as they are on the wire
// (numbers as strings or numbers, items in any order, value-less items) and reject the rest.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

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

/// {"Body":{"stkCallback":{...}}} -> StkCallback. kValidation (naming the field) when the envelope or
/// CheckoutRequestID is missing, ResultCode is not an integer (a JSON integer or a digit string: "0.4" is
/// not), an Amount is not a whole positive number of shillings in range (1, 1.00 and "1.00" all mean 1),
/// or a success (ResultCode 0) lacks its Amount or a well-formed MpesaReceiptNumber. Such a callback
/// must change nothing.
core::Result<StkCallback> ParseStkCallback(const nlohmann::json& body);

/// A Daraja ResultCode: a JSON integer from 0 to 999999999 or a string of 1-9 digits; anything else is std::nullopt.
std::optional<int64_t> ParseResultCode(const nlohmann::json& v);

/// An M-Pesa receipt: 6-20 letters and digits (e.g. "NLJ7RT61SV").
bool ValidReceipt(std::string_view receipt);

/// Reads a JSON number or numeric string as text ("" for other types); integral doubles lose ".0".
std::string JsonScalarText(const nlohmann::json& v);

}  // namespace haven::daraja
