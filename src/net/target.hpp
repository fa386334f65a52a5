#pragma once
// The request target as the server reads it: percent-decoding, the query string, the path a log line
// may show, and the static-file path under the web root. Pure functions of their input (the last one
// reads the file system), so they are tested and fuzzed without a socket (tests/fuzz/http_target_fuzz.cpp).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace haven::net {

/// Decodes %XX escapes (either case); a '%' not followed by two hex digits stays as it is. With
/// plus_is_space (query strings) '+' becomes ' '.
std::string PercentDecode(std::string_view in, bool plus_is_space);

/// "a=1&b=x%20y&c" -> {a:"1", b:"x y", c:""}; keys and values decoded, empty pairs skipped, the first
/// occurrence of a key wins.
std::map<std::string, std::string> ParseQuery(std::string_view query);

/// The target's path as a log line may show it: no query string (queries may carry secrets), control
/// characters replaced by '?'. Not decoded.
std::string LogPath(std::string_view target);

/// The file a GET for the decoded `path` serves from `web_root` (which must be canonical): the path is
/// canonicalised (symlinks resolved), a directory means its index.html, and the result must be a regular
/// file inside the root, else std::nullopt (a path with a NUL, not starting with '/', or leaving the root).
std::optional<std::filesystem::path> ResolveStaticPath(const std::filesystem::path& web_root, std::string_view path);

}  // namespace haven::net
