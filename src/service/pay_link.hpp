#pragma once
// Tenant payment links: /pay.html?t=<token>, where the token names a lease and is signed with
// HMAC-SHA256 so a tenant can pay without an account but cannot forge another lease's link.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace haven::service {

struct LeaseRef {
    int64_t lease_id = 0;
    int64_t agency_id = 0;
};

std::string SignLeaseToken(LeaseRef ref, std::string_view secret);
std::optional<LeaseRef> VerifyLeaseToken(std::string_view token, std::string_view secret);

}  // namespace haven::service
