#pragma once
// Daraja ResultCodes (docs/daraja.md §11) -> outcome names and plain-language messages.
#include <string>
#include <string_view>
#include <vector>

namespace haven::core {

/// What a Daraja ResultCode means for the people involved.
struct ResultInfo {
    std::string outcome;         // UPPER_SNAKE name, e.g. "SUCCESS", "CANCELLED", "UNKNOWN_ERROR"
    std::string user_message;    // plain language: what happened and what to do next
    bool final_failure = false;  // true for every non-success code: the transaction ends FAILED (0 -> false)
    bool retryable = false;      // true when trying again as-is may well work (cancelled, timeout, busy, ...)
};

/// Describes a ResultCode from an STK Push callback/query, for the tenant who was asked to pay.
/// The code is given as text exactly as received ("0", "1032", "SFC_IC0003", "R000001"); surrounding
/// whitespace is ignored. Unknown codes give outcome "UNKNOWN_ERROR" and a generic, cautious message.
ResultInfo DescribeResultCode(std::string_view code);

/// Describes a ResultCode from a B2C / reversal / balance / status result, for an agency admin
/// (e.g. 2001 = initiator credentials invalid, 1 = not enough money in the B2C utility account).
/// Unknown codes give outcome "UNKNOWN_ERROR".
ResultInfo DescribeB2cResultCode(std::string_view code);

/// Every ResultCode with a specific description (the codes of docs/daraja.md §11), in table order.
std::vector<std::string_view> KnownResultCodes();

}  // namespace haven::core
