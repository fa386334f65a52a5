// The address classes an outbound request to a user-given URL must not reach (RFC 6890 special-purpose
// registries, the parts that lead into the gateway's own networks).
#include "net/address_policy.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace haven::net {

namespace {

std::string V4Reason(const unsigned char a[4]) {
    const uint32_t v = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
    auto in = [v](uint32_t net, int bits) { return bits == 0 || (v >> (32 - bits)) == (net >> (32 - bits)); };
    if (in(0x00000000, 8)) return "unspecified";      // 0.0.0.0/8 ("this network")
    if (in(0x7F000000, 8)) return "loopback";         // 127.0.0.0/8
    if (in(0x0A000000, 8)) return "private";          // 10.0.0.0/8
    if (in(0xAC100000, 12)) return "private";         // 172.16.0.0/12
    if (in(0xC0A80000, 16)) return "private";         // 192.168.0.0/16
    if (in(0xA9FE0000, 16)) return "link-local";      // 169.254.0.0/16 (cloud metadata lives here)
    if (in(0x64400000, 10)) return "shared (CGNAT)";  // 100.64.0.0/10
    if (in(0xC0000000, 24)) return "reserved";        // 192.0.0.0/24 (IETF protocol assignments)
    if (in(0xC6120000, 15)) return "reserved";        // 198.18.0.0/15 (benchmarking)
    if (in(0xE0000000, 4)) return "multicast";        // 224.0.0.0/4
    if (in(0xF0000000, 4)) return "reserved";         // 240.0.0.0/4 and the broadcast address
    return "";
}

}  // namespace

std::string NonPublicAddressReason(std::string_view ip) {
    std::string text(ip);
    // A zone id ("fe80::1%eth0") only occurs on link-local addresses; judge the address before it.
    if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
    unsigned char v4[4];
    if (inet_pton(AF_INET, text.c_str(), v4) == 1) return V4Reason(v4);
    std::array<unsigned char, 16> v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return "not an IP address";
    static constexpr unsigned char kZero[16] = {};
    if (std::memcmp(v6.data(), kZero, 16) == 0) return "unspecified";                                // ::
    if (std::memcmp(v6.data(), kZero, 15) == 0 && v6[15] == 1) return "loopback";                    // ::1
    const bool mapped = std::memcmp(v6.data(), kZero, 10) == 0 && v6[10] == 0xFF && v6[11] == 0xFF;  // ::ffff:a.b.c.d
    const bool compatible = std::memcmp(v6.data(), kZero, 12) == 0;                                  // ::a.b.c.d
    if (mapped || compatible) return V4Reason(v6.data() + 12);
    // NAT64 (64:ff9b::/96) carries an IPv4 address too.
    static constexpr unsigned char kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(v6.data(), kNat64, 12) == 0) return V4Reason(v6.data() + 12);
    if (v6[0] == 0xFF) return "multicast";                             // ff00::/8
    if (v6[0] == 0xFE && (v6[1] & 0xC0) == 0x80) return "link-local";  // fe80::/10
    if (v6[0] == 0xFE && (v6[1] & 0xC0) == 0xC0) return "private";     // fec0::/10 (deprecated site-local)
    if ((v6[0] & 0xFE) == 0xFC) return "unique-local";                 // fc00::/7
    if (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0d && v6[3] == 0xb8) return "reserved";  // 2001:db8::/32
    return "";
}

}  // namespace haven::net
