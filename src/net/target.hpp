#pragma once
// The request target as the server reads it: percent-decoding, the query string, the path a log line
// may show, and the static-file path under the web root. Pure functions of their input (the last one
// reads the file system), so they are tested and fuzzed without a socket (tests/fuzz/http_target_fuzz.cpp).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/daraja_url.hpp"

namespace haven::net {

/// Decodes %XX escapes (either case); a '%' not followed by two hex digits stays as it is. With
/// plus_is_space (query strings) '+' becomes ' '.
std::string PercentDecode(std::string_view in, bool plus_is_space);

/// "a=1&b=x%20y&c" -> {a:"1", b:"x y", c:""}; keys and values decoded, empty pairs skipped, the first
/// occurrence of a key wins.
std::map<std::string, std::string> ParseQuery(std::string_view query);

using core::kDarajaHookPrefix;  // /hooks/daraja/<callback secret>/<path>: the routes Daraja calls

/// The secret segment of a decoded path under kDarajaHookPrefix ("/hooks/daraja/ab12/callback" -> "ab12"; empty
/// segments are skipped as the router skips them), or std::nullopt for any other path.
std::optional<std::string_view> DarajaHookSecret(std::string_view path);

/// `path` with the secret segment of a Daraja hook path replaced by "****"; other paths unchanged.
std::string MaskDarajaHookSecret(std::string_view path);

/// The target's path as a log line may show it: no query string (queries may carry secrets), the secret of a
/// Daraja hook path masked (also when the target spells the prefix with %XX escapes), control characters
/// replaced by '?'. Otherwise not decoded.
std::string LogPath(std::string_view target);

/// The file a GET for the decoded `path` serves from `web_root` (which must be canonical): the path is
/// canonicalised (symlinks resolved), a directory means its index.html, and the result must be a regular
/// file inside the root, else std::nullopt (a path with a NUL, not starting with '/', or leaving the root).
std::optional<std::filesystem::path> ResolveStaticPath(const std::filesystem::path& web_root, std::string_view path);

}  // namespace haven::net
