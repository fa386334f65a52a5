#pragma once
// How a caller names a lease: by our id, or by Haven's own id for it (its `externalId`, a MongoDB ObjectId in
// Haven's backend). The rule, the same everywhere a leaseId is accepted (STK push, list filters, the
// components' lease-id): a JSON number or an all-digit string is our id; an external id contains a non-digit.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace haven::core {

inline constexpr size_t kMaxExternalIdLength = 64;

struct LeaseKey {
    std::optional<int64_t> id;  // our id, or...
    std::string external_id;    // ...Haven's id for the lease
};

/// An external id: 1-64 characters of A-Z a-z 0-9 . _ : - with at least one non-digit.
bool ValidExternalId(std::string_view text);

/// kValidation naming `field` when the value is neither a positive id nor a valid external id.
Result<LeaseKey> ParseLeaseKey(const nlohmann::json& value, const std::string& field = "leaseId");
Result<LeaseKey> ParseLeaseKey(const std::string& text, const std::string& field = "leaseId");

}  // namespace haven::core
