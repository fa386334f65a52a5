#pragma once
// Each agency its own paybill (issue 12): which M-Pesa account an agency's requests go out on, and storing an
// agency's own account with its secrets sealed (sealed.hpp). Depends on interfaces only (Store, Daraja settings).
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "service/sealed.hpp"
#include "storage/store.hpp"

namespace haven::service {

using core::Result;

/// What the global account and the sealing key are: the MPESA_* settings stand for every agency without an
/// account of its own; without a key (`box` empty) no agency can store one.
struct AccountGlobals {
    std::optional<SecretBox> box;
};

/// The account an agency's requests use, secrets in clear (in memory only, never logged or answered).
struct ResolvedAccount {
    bool own = false;  // false: the global MPESA_* account (the fields below are empty)
    std::string shortcode, till_number, transaction_type, b2c_shortcode, initiator_name;
    std::string consumer_key, consumer_secret, passkey;
    std::string initiator_secret;       // the initiator password or a ready-made SecurityCredential
    std::string initiator_secret_kind;  // password | credential
};

/// The agency's own account (unsealed), or {own = false} for the global one. kInternal when the agency has an
/// account but its secrets do not open (no MASTER_KEY now, or another one than the one that sealed them).
Result<ResolvedAccount> AccountFor(storage::Store& store, const AccountGlobals& globals, int64_t agency_id);

/// An admin's new account settings. A secret left out (nullopt) keeps the stored one.
struct AccountUpdate {
    std::string shortcode, till_number, transaction_type = "CustomerPayBillOnline", b2c_shortcode, initiator_name;
    std::optional<std::string> consumer_key, consumer_secret, passkey, initiator_secret;
    std::string initiator_secret_kind = "password";
};

/// Checks and stores the agency's account, sealing the secrets given. kValidation listing every bad field (a
/// first account must give the consumer key, consumer secret and passkey); kUnprocessable without a master key;
/// kConflict when another agency uses the shortcode or till. Returns the stored row (secrets sealed).
Result<storage::MpesaAccount> SaveAccount(storage::Store& store, const AccountGlobals& globals, int64_t agency_id,
                                          const AccountUpdate& update, const std::string& updated_by);

}  // namespace haven::service
