#pragma once
// M-Pesa Express use cases: initiate a push, apply a callback, settle from an STK query.
// Depends on interfaces only (Store, DarajaClient): compiled and tested without sockets.
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/models.hpp"
#include "daraja/client.hpp"
#include "storage/store.hpp"

namespace haven::service {

using core::Result;

struct StkDeps {
    storage::Store& store;
    daraja::DarajaClient& daraja;
    std::string callback_url;  // full URL Daraja calls back, secret included
    // Keeps `daraja` alive while a call holds these deps (an agency's client may be replaced meanwhile).
    std::shared_ptr<daraja::DarajaClient> daraja_owner = nullptr;
};

struct Actor {
    int64_t agency_id = 0;
    std::optional<int64_t> user_id;
    std::string name;  // email, "tenant", "daraja", "system"
    std::string request_id;
};

struct StkPushInput {
    std::string phone_number;  // normalised
    int64_t amount = 0;
    std::string account_reference;
    std::string transaction_desc;
    std::optional<int64_t> lease_id;
    std::string lease_external_id;  // Haven's id for the lease, resolved to lease_id by the use case
    std::optional<storage::IdempotencyRef> idempotency;  // the key this push runs under, linked to its row
};

struct StkPushOutput {
    core::StkTransaction transaction;
    daraja::StkPushAck ack;
};

/// Writes the PENDING row, then asks Daraja to prompt the phone. A lease from another agency is
/// kNotFound. Daraja's refusal marks the row FAILED and returns kUpstream.
Result<StkPushOutput> InitiateStkPush(const StkPushInput& input, const Actor& actor, StkDeps deps);
/// The same without holding the thread while Daraja answers: the row is written before this returns, `done` runs
/// once (on the worker pool) after Daraja's answer is recorded, or at once when the push never reached Daraja.
void InitiateStkPushAsync(const StkPushInput& input, const Actor& actor, StkDeps deps,
                          daraja::Done<StkPushOutput> done);

struct CallbackOutcome {
    bool matched = false;  // a transaction had this CheckoutRequestID
    bool applied = false;  // the state changed now (false for duplicates and late deliveries)
    std::optional<core::StkTransaction> transaction;
};

/// Applies Daraja's STK callback body (already authenticated by the caller). Unknown
/// CheckoutRequestIDs are stored; duplicates change nothing; a final state never moves back.
Result<CallbackOutcome> ApplyStkCallback(const nlohmann::json& body, const std::string& request_id, StkDeps deps);

/// Asks Daraja for the outcome of a PENDING transaction and applies it when final.
Result<core::StkTransaction> SettleFromQuery(const core::StkTransaction& tx, StkDeps deps);

/// A push that never learnt its CheckoutRequestID (Daraja's answer never came, or the process died before
/// storing it) is settled from an unmatched success callback only when exactly one such callback fits it
/// (phone, amount, received within `lifetime` of the push) and no other such push could have produced that
/// callback. Returns true when that settled it; false leaves it for a person.
Result<bool> MatchUnconfirmedPush(const core::StkTransaction& tx, std::chrono::seconds lifetime, StkDeps deps);

/// Removes everything but the last 4 digits of phone numbers from a Daraja payload before storing it.
nlohmann::json RedactPayload(nlohmann::json payload);

}  // namespace haven::service
