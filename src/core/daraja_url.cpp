#include "core/daraja_url.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace haven::core {

std::optional<std::string_view> FindForbiddenUrlWord(std::string_view url) {
    std::string lower(url);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view word : kForbiddenUrlWords) {
        if (lower.find(word) != std::string::npos) return word;
    }
    return std::nullopt;
}

std::string DarajaHookUrl(std::string_view public_base_url, std::string_view secret, std::string_view path) {
    std::string url(public_base_url);
    url.append(kDarajaHookPrefix);
    url.append(secret);
    url.push_back('/');
    url.append(path);
    return url;
}

std::string MaskedDarajaHookUrl(std::string_view public_base_url, std::string_view path) {
    return DarajaHookUrl(public_base_url, "****", path);
}

bool IsUrlSafeSegment(std::string_view s) {
    if (s.empty() || s == "." || s == "..") return false;
    return std::all_of(s.begin(), s.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; });
}

}  // namespace haven::core
