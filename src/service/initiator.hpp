#pragma once
// What the initiator API use cases share (B2C payments, reversals, transaction status queries, balance
// checks): their dependencies, where Daraja posts their Results, and what applying a Result did.
// Depends on interfaces only (Store, DarajaClient).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "storage/store.hpp"

namespace haven::service {

using core::Result;

/// Where Daraja posts Results and queue timeouts (full URLs, callback secret included).
struct ResultUrls {
    std::string b2c_result, b2c_timeout;
    std::string reversal_result, reversal_timeout;
    std::string balance_result, balance_timeout;
    std::string status_result, status_timeout;
};

struct B2cDeps {
    storage::Store& store;
    daraja::DarajaClient& daraja;
    ResultUrls urls;
    // Keeps `daraja` alive while a call holds these deps (an agency's client may be replaced meanwhile).
    std::shared_ptr<daraja::DarajaClient> daraja_owner = nullptr;
};

struct ResultOutcome {
    bool matched = false;  // a row had this conversation id
    bool applied = false;  // the state changed now
};

/// Daraja payload with phone numbers masked (any 2547/2541 12-digit run) and secrets removed.
nlohmann::json RedactResult(const nlohmann::json& payload);

}  // namespace haven::service
