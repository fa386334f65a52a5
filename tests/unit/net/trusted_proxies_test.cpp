// TRUSTED_PROXIES and X-Forwarded-For: whose word the server takes for the client address, as a table.
#include "net/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <string>

namespace haven::net {
namespace {

struct Case {
    const char* what;
    const char* trusted;
    const char* peer;
    const char* forwarded_for;
    const char* client;
};

const Case kCases[] = {
    // Nobody trusted (the default): the socket peer, whatever the header says.
    {"default: header ignored", "", "203.0.113.9", "198.51.100.7", "203.0.113.9"},
    {"untrusted peer: header ignored", "10.0.0.0/8", "203.0.113.9", "198.51.100.7", "203.0.113.9"},
    {"untrusted peer claims to be a proxy", "10.0.0.1", "203.0.113.9", "198.51.100.7, 10.0.0.1", "203.0.113.9"},
    // A trusted peer: the address it appended.
    {"trusted peer, one entry", "10.0.0.1", "10.0.0.1", "198.51.100.7", "198.51.100.7"},
    {"trusted peer inside a block", "10.0.0.0/8", "10.1.2.3", "198.51.100.7", "198.51.100.7"},
    {"trusted peer without the header", "10.0.0.1", "10.0.0.1", "", "10.0.0.1"},
    {"trusted peer, blank header", "10.0.0.1", "10.0.0.1", "  ,  ", "10.0.0.1"},
    // Chains: read from the right, skip our own proxies, stop at the first address that is not ours.
    {"client forged entries before ours", "10.0.0.1", "10.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.7", "198.51.100.7"},
    {"two proxies of ours", "10.0.0.0/8", "10.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"},
    {"forged entry left of two proxies", "10.0.0.0/8", "10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"},
    {"every entry ours: the left-most", "10.0.0.0/8", "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"},
    {"several headers joined", "10.0.0.1", "10.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
    {"no spaces", "10.0.0.1", "10.0.0.1", "6.6.6.6,198.51.100.7", "198.51.100.7"},
    {"empty element between", "10.0.0.0/8", "10.0.0.1", "198.51.100.7,,10.0.0.2", "198.51.100.7"},
    // Garbage is never an address: the nearest trusted address to its right stands.
    {"garbage only", "10.0.0.1", "10.0.0.1", "not-an-ip", "10.0.0.1"},
    {"garbage right of a client", "10.0.0.0/8", "10.0.0.1", "198.51.100.7, bogus, 10.0.0.2", "10.0.0.2"},
    {"garbage left of the client", "10.0.0.1", "10.0.0.1", "<script>, 198.51.100.7", "198.51.100.7"},
    {"unknown keyword", "10.0.0.1", "10.0.0.1", "unknown", "10.0.0.1"},
    {"host name", "10.0.0.1", "10.0.0.1", "evil.example", "10.0.0.1"},
    {"ipv4 out of range", "10.0.0.1", "10.0.0.1", "300.1.1.1", "10.0.0.1"},
    {"ipv4 bad port", "10.0.0.1", "10.0.0.1", "198.51.100.7:99999", "10.0.0.1"},
    // Ports, brackets and canonical forms.
    {"ipv4 with a port", "10.0.0.1", "10.0.0.1", "198.51.100.7:51234", "198.51.100.7"},
    {"ipv6 bare", "10.0.0.1", "10.0.0.1", "2001:DB8:0:0::7", "2001:db8::7"},
    {"ipv6 bracketed with a port", "10.0.0.1", "10.0.0.1", "[2001:db8::7]:443", "2001:db8::7"},
    {"ipv6 bracketed", "10.0.0.1", "10.0.0.1", "[2001:db8::7]", "2001:db8::7"},
    {"ipv6 unclosed bracket", "10.0.0.1", "10.0.0.1", "[2001:db8::7", "10.0.0.1"},
    {"ipv4-mapped entry", "10.0.0.1", "10.0.0.1", "::ffff:198.51.100.7", "198.51.100.7"},
    // IPv6 proxies and peers.
    {"ipv6 proxy block", "fd00::/8", "fd00::1", "198.51.100.7", "198.51.100.7"},
    {"ipv6 loopback proxy", "::1", "::1", "2001:db8::7", "2001:db8::7"},
    {"ipv6 peer outside the block", "fd00::/8", "fe80::1", "198.51.100.7", "fe80::1"},
    {"ipv4-mapped peer matches an ipv4 entry", "127.0.0.1", "::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7"},
    {"ipv6 proxy in the chain", "10.0.0.1, fd00::/16", "10.0.0.1", "2001:db8::7, fd00::2", "2001:db8::7"},
    // Prefix edges.
    {"/32 is one address", "10.0.0.1/32", "10.0.0.2", "198.51.100.7", "10.0.0.2"},
    {"/0 trusts everyone", "0.0.0.0/0", "203.0.113.9", "198.51.100.7", "198.51.100.7"},
    {"odd prefix inside", "192.168.0.0/23", "192.168.1.200", "198.51.100.7", "198.51.100.7"},
    {"odd prefix outside", "192.168.0.0/23", "192.168.2.1", "198.51.100.7", "192.168.2.1"},
};

TEST(TrustedProxies, ClientAddressTable) {
    for (const Case& c : kCases) {
        auto proxies = TrustedProxies::Parse(c.trusted);
        ASSERT_TRUE(proxies) << c.what << ": " << proxies.error().message;
        EXPECT_EQ(proxies->ClientAddress(c.peer, c.forwarded_for), c.client) << c.what;
    }
}

TEST(TrustedProxies, ParseRefusesWhatIsNotAnAddressOrBlock) {
    for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0", "proxy.internal",
                            "10.0.0.1:80", "[::1]", "10.0.0.0/8x", "1.2.3.4, nonsense"}) {
        auto parsed = TrustedProxies::Parse(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().code, core::ErrorCode::kValidation) << bad;
    }
    for (const char* good : {"", " ", "10.0.0.1", "10.0.0.0/8, 127.0.0.1 ,::1", "fd00::/8", "0.0.0.0/0", "::/0"}) {
        EXPECT_TRUE(TrustedProxies::Parse(good)) << good;
    }
    EXPECT_TRUE(TrustedProxies::Parse("").value().Empty());
}

}  // namespace
}  // namespace haven::net
