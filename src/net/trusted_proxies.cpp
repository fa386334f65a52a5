#include "net/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace haven::net {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// A bare numeric address (no port, no brackets) as 16 bytes, IPv4 mapped into ::ffff:0:0/96.
std::optional<std::array<uint8_t, 16>> ParseBare(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    const std::string s(text);
    std::array<uint8_t, 16> out{};
    uint8_t v4[4];
    if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
        std::memcpy(out.data(), kMappedPrefix, 12);
        std::memcpy(out.data() + 12, v4, 4);
        return out;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
    return std::nullopt;
}

bool IsMapped(const std::array<uint8_t, 16>& a) { return std::memcmp(a.data(), kMappedPrefix, 12) == 0; }

/// The forms an X-Forwarded-For entry comes in: bare IPv4 or IPv6, "a.b.c.d:port", "[v6]" or "[v6]:port".
std::optional<std::array<uint8_t, 16>> ParseEntry(std::string_view text) {
    text = Trim(text);
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) return std::nullopt;
        return ParseBare(text.substr(1, close - 1));
    }
    // One colon: IPv4 with a port. More: a bare IPv6 address.
    if (const auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == text.npos) {
        auto a = ParseBare(text.substr(0, colon));
        if (!a || !IsMapped(*a)) return std::nullopt;
        const std::string_view port = text.substr(colon + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value > 65535) return std::nullopt;
        return a;
    }
    return ParseBare(text);
}

std::string Format(const std::array<uint8_t, 16>& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (IsMapped(a)) {
        inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
    }
    return buf;
}

}  // namespace

std::optional<std::string> CanonicalAddress(std::string_view text) {
    auto a = ParseEntry(text);
    if (!a) return std::nullopt;
    return Format(*a);
}

core::Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
    TrustedProxies out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view entry = Trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (entry.empty()) continue;
        auto bad = [&] {
            return core::Fail(core::Error::Validation(
                "TRUSTED_PROXIES",
                "not an IP address or CIDR block (like 10.0.0.0/8 or fd00::/8): " + std::string(entry)));
        };
        const auto slash = entry.find('/');
        auto address = ParseBare(entry.substr(0, slash));
        if (!address) return bad();
        Block block{*address, 128};
        const bool v4 = IsMapped(*address) && entry.substr(0, slash).find(':') == std::string_view::npos;
        if (slash != std::string_view::npos) {
            const std::string_view bits = entry.substr(slash + 1);
            int value = -1;
            auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
            if (ec != std::errc() || end != bits.data() + bits.size() || value < 0 || value > (v4 ? 32 : 128)) {
                return bad();
            }
            block.prefix_bits = v4 ? 96 + value : value;
        }
        out.blocks_.push_back(block);
    }
    return out;
}

bool TrustedProxies::Contains(std::string_view ip) const {
    if (blocks_.empty()) return false;
    auto a = ParseBare(Trim(ip));
    if (!a) return false;
    for (const Block& b : blocks_) {
        const int full = b.prefix_bits / 8;
        const int rest = b.prefix_bits % 8;
        if (std::memcmp(a->data(), b.address.data(), static_cast<size_t>(full)) != 0) continue;
        if (rest != 0) {
            const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
            if ((((*a)[full]) & mask) != (b.address[full] & mask)) continue;
        }
        return true;
    }
    return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer, std::string_view forwarded_for) const {
    if (!Contains(peer)) return std::string(peer);
    std::string answer = Format(*ParseBare(Trim(peer)));  // the nearest trusted address so far
    std::string_view rest = forwarded_for;
    while (!Trim(rest).empty()) {
        const auto comma = rest.rfind(',');
        const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
        if (Trim(entry).empty()) continue;  // "a,,b": an empty element says nothing
        auto a = ParseEntry(entry);
        if (!a) return answer;
        answer = Format(*a);
        if (!Contains(answer)) return answer;
    }
    return answer;
}

}  // namespace haven::net
