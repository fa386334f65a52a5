#pragma once
// Whose X-Forwarded-For the server believes (TRUSTED_PROXIES). Behind a load balancer every connection comes from
// the balancer, so the socket peer says nothing about the client; the balancer appends the address it saw to
// X-Forwarded-For. Anyone can send that header, though, so it counts only when the connection itself comes from a
// proxy we run, and then only the entries our proxies appended: read from the right, the first address that is not
// one of our proxies is the client.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::net {

class TrustedProxies {
  public:
    /// None: the socket peer is always the client address (the default).
    TrustedProxies() = default;
    /// A comma-separated list of IPv4/IPv6 addresses and CIDR blocks ("10.0.0.0/8, 127.0.0.1, ::1, fd00::/8");
    /// blanks around entries are ignored. kValidation naming the first bad entry.
    static core::Result<TrustedProxies> Parse(std::string_view list);

    bool Empty() const { return blocks_.empty(); }
    /// `ip` (a numeric address; an IPv4-mapped IPv6 address counts as its IPv4 address) is one of ours.
    bool Contains(std::string_view ip) const;
    /// The client address of a request whose connection comes from `peer` and that carries `forwarded_for`
    /// (X-Forwarded-For; several headers joined by ", "). Untrusted peer or no header: `peer`. Otherwise the
    /// entries from the right: the first one that is not a trusted proxy, in canonical form (ports and IPv6
    /// brackets dropped); when every entry is trusted, the left-most. An entry that is not an address was not
    /// written by one of our proxies: the walk stops there and answers the trusted address to its right.
    std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

  private:
    struct Block {
        std::array<uint8_t, 16> address{};  // IPv4 as ::ffff:a.b.c.d
        int prefix_bits = 128;              // of the 128; an IPv4 /n is 96 + n
    };
    std::vector<Block> blocks_;
};

/// `text` as a canonical numeric address ("2001:db8::1", "10.0.0.1"; IPv4-mapped IPv6 as IPv4), accepting the forms
/// X-Forwarded-For entries come in: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]:443". nullopt otherwise.
std::optional<std::string> CanonicalAddress(std::string_view text);

}  // namespace haven::net
