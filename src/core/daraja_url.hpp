#pragma once
// The words Daraja refuses in a URL it is asked to call (the C2B register API rejects them; REFERENCE §9.1), and
// the one test of a secret that may stand in a URL path. Pure functions: the gateway checks its public base URL
// and its callback secret with them, and registration names the word that would be refused.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace haven::core {

/// Daraja's forbidden URL words, in the order they are looked for (any case).
inline constexpr std::array<std::string_view, 8> kForbiddenUrlWords = {"mpesa", "m-pesa", "safaricom", "exe",
                                                                       "exec",  "cmd",    "sql",       "query"};

/// The first of kForbiddenUrlWords (in that order) that `url` contains, compared without regard to case ("EXEC"
/// contains "exe", so it is named "exe"); std::nullopt when there is none.
std::optional<std::string_view> FindForbiddenUrlWord(std::string_view url);

/// Where the routes Daraja calls live under their neutral form: <public base URL>/hooks/daraja/<secret>/<path>.
inline constexpr std::string_view kDarajaHookPrefix = "/hooks/daraja/";

/// <public_base_url>/hooks/daraja/<secret>/<path>; `path` is the part after /api/v1/mpesa/ of the seed route
/// ("callback", "b2c/result", "c2b/confirmation"). `public_base_url` has no trailing slash.
std::string DarajaHookUrl(std::string_view public_base_url, std::string_view secret, std::string_view path);

/// The same URL as it may be shown or stored: the secret replaced by "****".
std::string MaskedDarajaHookUrl(std::string_view public_base_url, std::string_view path);

/// True when `s` is non-empty and made only of the characters a URL path segment carries as they are
/// (RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~), and is neither "." nor "..".
bool IsUrlSafeSegment(std::string_view s);

}  // namespace haven::core
