#include "net/target.hpp"

#include <algorithm>

namespace haven::net {
namespace fs = std::filesystem;
namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool Inside(const fs::path& candidate, const fs::path& root) {
    auto rel = candidate.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::string PercentDecode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = HexValue(in[i + 1]);
            int lo = HexValue(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        if (c == '+' && plus_is_space) c = ' ';
        out.push_back(c);
    }
    return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
    std::map<std::string, std::string> out;
    size_t i = 0;
    while (i <= q.size()) {
        size_t amp = q.find('&', i);
        if (amp == std::string_view::npos) amp = q.size();
        std::string_view pair = q.substr(i, amp - i);
        if (!pair.empty()) {
            size_t eq = pair.find('=');
            std::string key = PercentDecode(pair.substr(0, eq), true);
            std::string value = eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
            out.emplace(std::move(key), std::move(value));  // first occurrence wins
        }
        i = amp + 1;
    }
    return out;
}

namespace {

/// The secret segment of a hook path, found segment by segment as the router matches ("//hooks//daraja/x" routes
/// like "/hooks/daraja/x"), as a view into `path`.
std::optional<std::string_view> HookSecretSegment(std::string_view path) {
    std::string_view wanted[] = {"hooks", "daraja"};
    size_t i = 0;
    for (int n = 0; n < 3; ++n) {
        while (i < path.size() && path[i] == '/') ++i;
        if (i >= path.size()) return std::nullopt;
        const size_t end = std::min(path.find('/', i), path.size());
        std::string_view segment = path.substr(i, end - i);
        if (n == 2) return segment;
        if (segment != wanted[n]) return std::nullopt;
        i = end;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string_view> DarajaHookSecret(std::string_view path) { return HookSecretSegment(path); }

std::string MaskDarajaHookSecret(std::string_view path) {
    auto secret = HookSecretSegment(path);
    if (!secret) return std::string(path);
    const size_t at = static_cast<size_t>(secret->data() - path.data());
    std::string out(path.substr(0, at));
    out.append("****");
    out.append(path.substr(at + secret->size()));
    return out;
}

std::string LogPath(std::string_view target) {
    std::string path(target.substr(0, target.find('?')));
    // The router matches the decoded path, so a hook reached through an escaped prefix is masked in its decoded form.
    if (std::string decoded = PercentDecode(path, false); DarajaHookSecret(decoded))
        path = MaskDarajaHookSecret(decoded);
    for (char& c : path) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return path;
}

std::optional<fs::path> ResolveStaticPath(const fs::path& web_root, std::string_view path) {
    if (path.find('\0') != std::string_view::npos || path.empty() || path.front() != '/') return std::nullopt;
    std::error_code ec;
    fs::path candidate = fs::weakly_canonical(web_root / fs::path(path.substr(1)), ec);
    if (ec || !Inside(candidate, web_root)) return std::nullopt;
    if (fs::is_directory(candidate, ec)) candidate /= "index.html";
    // canonicalise again: index.html itself may be a link out of the root
    candidate = fs::weakly_canonical(candidate, ec);
    if (ec || !Inside(candidate, web_root) || !fs::is_regular_file(candidate, ec)) return std::nullopt;
    return candidate;
}

}  // namespace haven::net
