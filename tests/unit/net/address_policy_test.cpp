// The address classes a webhook may not connect to (unless WEBHOOKS_ALLOW_PRIVATE): one table, both families.
#include "net/address_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace haven::net {
namespace {

struct Case {
    const char* ip;
    const char* reason;  // "" = public
};

TEST(AddressPolicy, ClassifiesEveryAddressClass) {
    const Case cases[] = {
        {"8.8.8.8", ""},
        {"196.201.214.200", ""},  // Safaricom
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"172.32.0.1", ""},
        {"192.168.1.1", "private"},
        {"169.254.169.254", "link-local"},
        {"100.64.0.1", "shared (CGNAT)"},
        {"100.127.255.255", "shared (CGNAT)"},
        {"100.128.0.1", ""},
        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"},
        {"255.255.255.255", "reserved"},
        {"::", "unspecified"},
        {"::1", "loopback"},
        {"fe80::1", "link-local"},
        {"fe80::1%eth0", "link-local"},
        {"fc00::1", "unique-local"},
        {"fd12:3456::1", "unique-local"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:10.0.0.1", "private"},
        {"::ffff:8.8.8.8", ""},
        {"64:ff9b::a9fe:a9fe", "link-local"},
        {"2001:4860:4860::8888", ""},
        {"localhost", "not an IP address"},
        {"", "not an IP address"},
    };
    for (const Case& c : cases) EXPECT_EQ(NonPublicAddressReason(c.ip), c.reason) << c.ip;
}

}  // namespace
}  // namespace haven::net
