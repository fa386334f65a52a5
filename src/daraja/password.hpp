#pragma once
#include <string>
#include <string_view>

namespace haven::daraja {

/// Lipa Na M-Pesa password: base64(shortcode + passkey + timestamp), timestamp yyyyMMddHHmmss (EAT).
std::string StkPassword(std::string_view shortcode, std::string_view passkey, std::string_view timestamp);

/// Standard base64 (with padding) and its inverse; Decode returns "" on malformed input.
std::string Base64Encode(std::string_view data);
std::string Base64Decode(std::string_view data);

}  // namespace haven::daraja
