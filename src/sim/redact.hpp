#pragma once
// What the simulator keeps in its request and callback logs (served by /sim/v1/requests|callbacks) has
// its secrets masked: a test tool's log must not become the place a callback secret or token leaks from.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "net/http.hpp"

namespace haven::sim {

/// A URL with every query value and every secret-looking path segment replaced by "****":
/// "https://h/hooks/daraja/9fK2...x/stk?secret=abc" -> "https://h/hooks/daraja/****/stk?secret=****".
/// Scheme, host, port and ordinary path words stay, so the log still shows where a callback went.
std::string MaskUrl(std::string_view url);

/// `text` (a receiver's answer or an error message) with every secret MaskUrl hides in `url` replaced by
/// "****" wherever it appears: a 404 page that echoes the path must not bring the secret back.
std::string ScrubUrlSecrets(std::string text, std::string_view url);

/// Authorization header: the scheme stays, the token or credentials go ("Bearer ****").
std::string MaskAuthorization(std::string_view value);

/// A request body as logged: URL fields (any key ending in "URL") through MaskUrl, Password and
/// SecurityCredential cut to their first 4 characters + "****". Recurses into objects and arrays.
nlohmann::json MaskBody(nlohmann::json body);

/// Headers as logged: Authorization masked, the rest as sent.
nlohmann::json MaskHeaders(const net::Headers& headers);

}  // namespace haven::sim
