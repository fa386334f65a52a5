#pragma once
// Content-Type parsed as RFC 9110 §8.3.1 writes it, never matched as a substring:
//   media-type = type "/" subtype *( OWS ";" OWS [ parameter ] ),  parameter = token "=" ( token / quoted-string )
// Type, subtype and parameter names are case-insensitive (kept lower-cased here); values keep their case.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haven::net {

struct MediaType {
    std::string type;                                             // "application"
    std::string subtype;                                          // "json"
    std::vector<std::pair<std::string, std::string>> parameters;  // {"charset", "UTF-8"}, unquoted

    /// "application/json" (lower case, no parameters).
    std::string Essence() const { return type + "/" + subtype; }
    /// The first parameter called `name` (lower-case), if any.
    std::optional<std::string> Parameter(std::string_view name) const;
};

/// nullopt when `text` is not a well-formed media type (a missing subtype, a bad token, an unclosed quote).
std::optional<MediaType> ParseMediaType(std::string_view text);

}  // namespace haven::net
