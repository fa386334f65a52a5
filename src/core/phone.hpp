#pragma once
// Kenyan Safaricom phone numbers: the many ways people type them, one stored form.
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace haven::core {

/// Normalises a Safaricom mobile number to the 12-digit form Daraja expects: "2547XXXXXXXX" or "2541XXXXXXXX".
/// Accepted inputs (spaces and hyphens between digits are ignored): 0712345678, 712345678, 254712345678,
/// +254712345678, and the same shapes for the 01xx range (0110345678, 110345678, 254110345678, +254110345678).
/// Errors: Error::Validation("phoneNumber", ...) naming the accepted forms for anything else (empty input,
/// letters, other country codes, landlines, wrong length, a '+' anywhere but before 254).
Result<std::string> NormalizePhone(std::string_view input);

/// Masks a phone number for logs and audit entries: keeps the first 4 and last 4 characters
/// ("254712344149" -> "2547****4149"). Inputs of 8 characters or fewer are masked completely
/// (one '*' per character), so nothing short ever leaks whole.
std::string MaskPhone(std::string_view normalised);

/// Masks every run of 9 or more digits except its last 4, for log lines: a CheckoutRequestID ends with
/// the payer's number ("ws_CO_28112026093159750708374149" -> "ws_CO_**********************4149").
std::string MaskDigitRuns(std::string_view text);

/// Masks every Kenyan mobile number (12 digits starting 2547 or 2541) inside free text with MaskPhone
/// ("254708374149 - John Doe" -> "2547****4149 - John Doe"); other digit runs stay as they are.
std::string MaskPhonesIn(std::string_view text);

}  // namespace haven::core
