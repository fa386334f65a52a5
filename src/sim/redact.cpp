#include "sim/redact.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace haven::sim {

namespace {

constexpr std::string_view kMask = "****";

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

bool IEndsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && IEquals(text.substr(text.size() - suffix.size()), suffix);
}

/// A path segment that is a credential rather than a word: long, or shorter but mixing letters and
/// digits the way generated tokens do. "paymentrequest", "v3" and "stk" stay; "9fK2c81..." goes.
bool LooksSecret(std::string_view segment) {
    if (segment.size() >= 24) return true;
    if (segment.size() < 12) return false;
    bool digit = false, alpha = false;
    for (unsigned char c : segment) {
        digit = digit || std::isdigit(c);
        alpha = alpha || std::isalpha(c);
    }
    return digit && alpha;
}

std::string MaskQuery(std::string_view query, std::vector<std::string>* secrets) {
    std::string out;
    size_t start = 0;
    while (start <= query.size()) {
        size_t end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        std::string_view pair = query.substr(start, end - start);
        if (!out.empty() || start > 0) out += '&';
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) == "grant_type") {  // OAuth's, never a secret
            out += pair;
        } else {
            if (secrets) secrets->emplace_back(pair.substr(eq + 1));
            out += pair.substr(0, eq + 1);
            out += kMask;
        }
        start = end + 1;
    }
    return out;
}

std::string Cut(const std::string& value) {
    return value.substr(0, std::min<size_t>(4, value.size())) + std::string(kMask);
}

}  // namespace

namespace {

/// MaskUrl's work; `secrets` (when given) collects what it hid.
std::string Mask(std::string_view url, std::vector<std::string>* secrets) {
    size_t fragment = url.find('#');
    if (fragment != std::string_view::npos) url = url.substr(0, fragment);
    size_t query_at = url.find('?');
    std::string_view before = url.substr(0, query_at);
    // The path starts after "scheme://authority"; userinfo in the authority is a credential too.
    size_t scheme = before.find("://");
    size_t path_at = before.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    std::string_view authority = before.substr(0, path_at);
    std::string out;
    size_t at = authority.rfind('@');
    if (scheme != std::string_view::npos && at != std::string_view::npos && at > scheme) {
        if (secrets) secrets->emplace_back(authority.substr(scheme + 3, at - scheme - 3));
        out += authority.substr(0, scheme + 3);
        out += kMask;
        out += authority.substr(at);
    } else {
        out += authority;
    }
    if (path_at != std::string_view::npos) {
        std::string_view path = before.substr(path_at);
        size_t start = 0;
        while (start < path.size()) {
            size_t slash = path.find('/', start + 1);
            if (slash == std::string_view::npos) slash = path.size();
            std::string_view segment = path.substr(start + 1, slash - start - 1);
            out += '/';
            if (LooksSecret(segment) && secrets) secrets->emplace_back(segment);
            out += LooksSecret(segment) ? kMask : segment;
            start = slash;
        }
    }
    if (query_at != std::string_view::npos) out += "?" + MaskQuery(url.substr(query_at + 1), secrets);
    return out;
}

}  // namespace

std::string MaskUrl(std::string_view url) { return Mask(url, nullptr); }

std::string ScrubUrlSecrets(std::string text, std::string_view url) {
    std::vector<std::string> secrets;
    Mask(url, &secrets);
    for (const auto& secret : secrets) {
        if (secret.size() < 4) continue;  // "1" or "on" would mangle the text and hide nothing
        for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + kMask.size())) {
            text.replace(at, secret.size(), kMask);
        }
    }
    return text;
}

std::string MaskAuthorization(std::string_view value) {
    size_t space = value.find(' ');
    if (space == std::string_view::npos) return std::string(kMask);
    return std::string(value.substr(0, space + 1)) + std::string(kMask);
}

nlohmann::json MaskBody(nlohmann::json body) {
    if (body.is_array()) {
        for (auto& item : body) item = MaskBody(std::move(item));
        return body;
    }
    if (!body.is_object()) return body;
    for (auto it = body.begin(); it != body.end(); ++it) {
        const std::string& key = it.key();
        auto& value = it.value();
        if (value.is_string() && IEndsWith(key, "url")) {
            value = MaskUrl(value.get<std::string>());
        } else if (value.is_string() && (IEquals(key, "Password") || IEquals(key, "SecurityCredential"))) {
            value = Cut(value.get<std::string>());
        } else if (value.is_structured()) {
            value = MaskBody(std::move(value));
        }
    }
    return body;
}

nlohmann::json MaskHeaders(const net::Headers& headers) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : headers) {
        out[name] =
            IEquals(name, "Authorization") || IEquals(name, "Proxy-Authorization") ? MaskAuthorization(value) : value;
    }
    return out;
}

}  // namespace haven::sim
