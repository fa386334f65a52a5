#pragma once
// Which addresses an outbound request to a user-given URL (a webhook endpoint) may connect to. The check runs on
// the addresses the host name resolved to, right before connecting to one of them (so a name that resolves to a
// private address later is still refused, and the connection goes to the checked address: no second lookup).
#include <string>
#include <string_view>

namespace haven::net {

/// Why `ip` (a numeric IPv4 or IPv6 address) is not a public address: "loopback", "private", "link-local",
/// "unique-local", "unspecified", "multicast", "shared (CGNAT)", "reserved", "not an IP address"; "" when it is
/// public. An IPv4-mapped or IPv4-compatible IPv6 address is judged by its IPv4 address.
std::string NonPublicAddressReason(std::string_view ip);

}  // namespace haven::net
