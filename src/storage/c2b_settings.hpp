#pragma once
// An agency's C2B settings and last URL registration (columns c2b_* of mpesa_accounts).
#include <string>

namespace haven::storage {

struct C2bSettings {
    int version = 2;                          // 1 | 2: the C2B API product of the Daraja app
    std::string response_type = "Completed";  // Completed | Cancelled: Daraja's choice when validation is late
    bool validation = false;                  // answer validation requests from the lease table
    bool reject_unknown = false;              // validation rejects an unknown account number (C2B00012)
    std::string registered_at;                // ISO-8601 UTC of the last successful registration ("" never)
    std::string registered_urls;              // JSON {"confirmation":..., "validation":...} as last registered
};

}  // namespace haven::storage
