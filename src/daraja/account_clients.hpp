#pragma once
// One Daraja client per M-Pesa account (issue 12): each agency with its own paybill talks to Daraja with its
// own consumer key, so it has its own OAuth token cache. Clients are built on first use, keyed by shortcode and
// consumer key, and rebuilt when anything else of the account changed (a new secret, passkey or initiator).
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daraja/http_daraja_client.hpp"

namespace haven::daraja {

class AccountClients {
  public:
    /// `global` serves every agency without an account of its own (the MPESA_* settings). `certificate_pem` is
    /// the certificate that turns an initiator password into a SecurityCredential ("" = none: such an account
    /// must give a ready-made credential).
    AccountClients(net::HttpClient& http, Clock clock, std::shared_ptr<DarajaClient> global,
                   std::string certificate_pem);

    std::shared_ptr<DarajaClient> Global() const { return global_; }

    /// The client of the account `settings` describes (base_url and timeouts included; security_credential as
    /// given when `initiator_password` is ""). The same client while nothing changed; a client that was replaced
    /// lives on for the calls still holding it. kValidation when the initiator password cannot be encrypted.
    Result<std::shared_ptr<DarajaClient>> For(const DarajaSettings& settings, const std::string& initiator_password);

    /// How many account clients exist (not counting the global one).
    size_t size() const;

  private:
    struct Entry {
        std::string fingerprint;  // SHA-256 of every setting, secrets included (never stored in clear here)
        std::shared_ptr<DarajaClient> client;
    };
    net::HttpClient& http_;
    Clock clock_;
    std::shared_ptr<DarajaClient> global_;
    std::string certificate_pem_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> clients_;  // shortcode + "\n" + consumer key
};

}  // namespace haven::daraja
