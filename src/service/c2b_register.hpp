#pragma once
// C2B URL registration (REFERENCE §9.1): an agency's settings (its own, or the install's defaults), the two URLs
// built from PUBLIC_BASE_URL, a refusal before Daraja is asked when a URL carries a word Daraja rejects, the call,
// and the registration recorded. Depends on interfaces only (Store, DarajaClient).
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "storage/store.hpp"

namespace haven::service {

using core::Result;

struct C2bRegisterDeps {
    storage::Store& store;
    daraja::DarajaClient& daraja;
    std::string public_base_url;    // PUBLIC_BASE_URL
    std::string callback_secret;    // in the path of both URLs
    std::string install_shortcode;  // MPESA_SHORTCODE
    storage::C2bSettings defaults;  // MPESA_C2B_VERSION, MPESA_C2B_RESPONSE_TYPE, C2B_VALIDATION, C2B_REJECT_UNKNOWN
    std::shared_ptr<daraja::DarajaClient> keep_alive;  // owns `daraja` when it is an agency's own client
};

/// The agency's C2B settings: its mpesa_accounts row, or the install's defaults when it has none.
Result<storage::C2bSettings> C2bSettingsOf(storage::Store& store, int64_t agency_id,
                                           const storage::C2bSettings& defaults);

/// Where and how an agency registers: the shortcode Daraja is told, and the settings (version, ResponseType).
struct C2bTarget {
    std::string shortcode;
    storage::C2bSettings settings;
};
/// The one place that decides the shortcode and version an agency registers with: the shortcode of the agency's own
/// M-Pesa account (its till for a Buy Goods account), else the install's MPESA_SHORTCODE.
Result<C2bTarget> C2bTargetFor(const C2bRegisterDeps& deps, int64_t agency_id);

/// The URLs Daraja is given, in full (secret included) and as they may be shown or stored (secret "****").
struct C2bUrls {
    std::string confirmation;
    std::string validation;
    std::string shown_confirmation;
    std::string shown_validation;
};
C2bUrls C2bUrlsFor(const std::string& public_base_url, const std::string& callback_secret);

/// kValidation naming the word when either URL contains one Daraja refuses (core::FindForbiddenUrlWord); the
/// message names the word and PUBLIC_BASE_URL, never the secret.
Result<void> CheckC2bUrls(const std::string& public_base_url, const C2bUrls& urls);

/// What was registered (URLs as shown: secret masked) and Daraja's answer.
struct C2bRegistration {
    std::string shortcode;
    int version = 2;
    std::string response_type;
    std::string confirmation_url;  // secret masked
    std::string validation_url;    // secret masked
    std::string registered_at;     // ISO-8601 UTC
    std::string response_description;
    std::string originator_conversation_id;
};

/// Registers the agency's URLs with Daraja and records the registration. Errors: kValidation (a forbidden word),
/// kUpstream with Daraja's errorCode/errorMessage ("Urls are already registered."), kUpstreamUnavailable.
/// `done` runs once, on the worker pool.
void RegisterC2bAsync(const C2bRegisterDeps& deps, int64_t agency_id, const std::string& actor,
                      daraja::Done<C2bRegistration> done);
/// The same, blocking (the CLI).
Result<C2bRegistration> RegisterC2b(const C2bRegisterDeps& deps, int64_t agency_id, const std::string& actor);

}  // namespace haven::service
