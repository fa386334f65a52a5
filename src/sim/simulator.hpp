#pragma once
// The Daraja simulator: Safaricom's M-Pesa API surface (OAuth, STK push/query, B2C v1/v3, reversal,
// account balance, transaction status, C2B register/simulate/validation/confirmation) served over
// HTTP(S) on its own port, with a ledger, real SecurityCredential decryption, scenario rules and a
// control API under /sim/v1/ (rules, virtual phone, request/callback logs, reset). See README in
// src/sim/README.md for the control API and the settings that resolve docs/daraja.md §14's doubts.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/runtime.hpp"

namespace haven::sim {

struct LedgerEntry;

struct SimulatorOptions {
    // The control API (/sim/v1/) has no auth and moves simulated money, so Start refuses an address other
    // than loopback (127.0.0.0/8, ::1, localhost) unless allow_remote says the operator meant it.
    std::string host = "127.0.0.1";
    bool allow_remote = false;
    uint16_t port = 0;
    std::string tls_cert_file, tls_key_file;  // HTTPS when both are set
    bool tls_self_signed = false;             // HTTPS with the generated certificate (see TlsCertificateFile)
    // Key pair for SecurityCredential; generated at Start (RSA-2048, self-signed) when empty.
    std::string credential_cert_file, credential_key_file;
    std::string scenario_file;                       // rules loaded at start (--scenario FILE); throws if invalid
    std::string consumer_key, consumer_secret;       // empty = accept any Basic credentials (sandbox-like)
    std::chrono::milliseconds callback_delay{1500};  // before an automatic outcome/callback/result
    bool interactive_stk = false;  // prompts wait for the virtual phone until interactive_timeout -> 1037
    std::chrono::milliseconds interactive_timeout{60000};
    bool strict_timestamp = false;  // docs/daraja.md §14.1: Timestamp must be EAT within timestamp_tolerance of now
    std::chrono::seconds timestamp_tolerance{600};
    bool invalidate_old_tokens = false;  // §14.2: a new token revokes older ones
    std::chrono::seconds token_lifetime{3599};
    int callback_retries = 0;  // §14.10: extra attempts when the receiver fails (non-2xx or no answer)
    std::chrono::milliseconds callback_retry_delay{1000};
    std::chrono::milliseconds callback_timeout{10000};
    std::string passkey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";
    std::vector<std::string> stk_shortcodes = {"174379"};  // empty = any shortcode (same passkey)
    // Initiators and their accepted passwords (SecurityCredential decrypted with our key).
    std::map<std::string, std::vector<std::string>> initiators = {{"testapi", {"Safaricom999!*!", "Safaricom123!!"}}};
    // A credential that does not decrypt under our key (e.g. made with Safaricom's sandbox
    // certificate) is accepted for a known initiator when true, 2001 when false.
    bool accept_foreign_credentials = true;
    std::string phone_pin;  // virtual phone: the PIN "accept" must carry; empty = any PIN
    // §12.4: an STK push with the same PartyA and Amount as one that succeeded less than this long ago ends
    // with callback 17 "Rule limited." (no money moves). 0 = off: tests and demos repeat the same push.
    std::chrono::seconds rule_limit_window{0};
    // §12.6: the API products on the app (see SimulatorProducts()); empty = all. A call to another product's
    // path with a valid token answers HTTP 401 401.003.01 "... no apiproduct match found". Start throws on
    // an unknown name.
    std::set<std::string> enabled_products;
    bool require_json_content_type = true;         // §1.1: otherwise 400.002.02 Invalid <first field>
    bool enforce_reference_limits = false;         // §14.5: AccountReference <= 12, TransactionDesc <= 13
    bool reject_keywords_in_stk_callback = false;  // §14.8
    bool reject_keywords_in_c2b_urls = true;       // §9.1
    bool unknown_checkout_as_bad_request = true;   // §14.6: 400.002.02 (true) or 500.001.1001 (false)
    bool c2b_external_validation = false;          // call ValidationURL before confirming (off by default, as Daraja)
    std::chrono::milliseconds c2b_validation_timeout{8000};
    bool c2b_reregister_error = false;  // re-registering a shortcode -> 500.003.1001 (production-like)
    int64_t b2c_min_amount = 10;
    int64_t max_amount = 250000;
    int64_t b2c_charge_cents = 2240;
    int64_t working_balance_cents = 70000000;
    int64_t utility_balance_cents = 22803700;
    int64_t charges_paid_balance_cents = -154000;
    std::string customer_name = "John Doe";
    size_t max_logged = 1000;  // requests and callback attempts kept for /sim/v1/requests|callbacks
    uint64_t seed = 0;         // randomness for ids (0 = random)
    std::function<std::chrono::system_clock::time_point()> clock;  // empty = system clock
    bool access_log = true;
    // Africa's Talking's SMS API (POST /version1/messaging): the username and apiKey it accepts. An empty
    // at_api_key accepts any non-empty key; an empty at_username any username.
    std::string at_username = "sandbox";
    std::string at_api_key;
};

/// Names for SimulatorOptions::enabled_products: stk, b2c, reversal, balance, status, c2b_v1, c2b_v2.
const std::vector<std::string>& SimulatorProducts();

class Simulator {
  public:
    Simulator(net::Runtime& runtime, SimulatorOptions options);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    /// Generates/loads keys, loads the scenario file, binds and serves; returns the port.
    /// Throws std::runtime_error on a bad scenario file, key files, bind failure or a non-loopback host
    /// without allow_remote.
    uint16_t Start();
    void Stop();
    std::string BaseUrl() const;         // "http://127.0.0.1:PORT" (https when TLS)
    std::string CertificatePem() const;  // X.509 certificate for SecurityCredential encryption
    /// PEM file of the certificate the HTTPS listener uses (trust it as the client's CA file); "" when plain HTTP.
    std::string TlsCertificateFile() const;
    /// Adds completed transactions that happened before the simulator started (the demo's history, app/demo_seed),
    /// oldest first, as STK, C2B, B2C and reversal would have: they are on the ledger and its statement. Call after
    /// Start, before traffic (the ledger keeps its order of arrival); POST /sim/v1/reset forgets them. A separate
    /// `haven-mpesa simulate` process has no way to receive them (no control endpoint).
    void SeedLedger(std::vector<LedgerEntry> entries);

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace haven::sim
