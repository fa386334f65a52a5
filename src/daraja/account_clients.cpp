#include "daraja/account_clients.hpp"

#include "core/hex.hpp"
#include "daraja/security_credential.hpp"

namespace haven::daraja {

namespace {

std::string Fingerprint(const DarajaSettings& s, const std::string& initiator_password) {
    std::string all;
    for (const std::string* part :
         {&s.base_url, &s.consumer_key, &s.consumer_secret, &s.shortcode, &s.passkey, &s.transaction_type, &s.party_b,
          &s.initiator_name, &s.security_credential, &s.b2c_shortcode, &initiator_password}) {
        all += std::to_string(part->size()) + ":" + *part + "\n";
    }
    return core::Sha256Hex(all);
}

}  // namespace

AccountClients::AccountClients(net::HttpClient& http, Clock clock, std::shared_ptr<DarajaClient> global,
                               std::string certificate_pem)
    : http_(http), clock_(std::move(clock)), global_(std::move(global)), certificate_pem_(std::move(certificate_pem)) {}

Result<std::shared_ptr<DarajaClient>> AccountClients::For(const DarajaSettings& settings,
                                                          const std::string& initiator_password) {
    const std::string key = settings.shortcode + "\n" + settings.consumer_key;
    const std::string fingerprint = Fingerprint(settings, initiator_password);
    std::lock_guard lock(mutex_);
    auto it = clients_.find(key);
    if (it != clients_.end() && it->second.fingerprint == fingerprint) return it->second.client;
    DarajaSettings built = settings;
    if (!initiator_password.empty()) {
        if (certificate_pem_.empty()) {
            return core::Fail(core::ErrorCode::kValidation,
                              "no certificate to encrypt the initiator password with (MPESA_CERT_PATH): give a "
                              "ready-made SecurityCredential instead");
        }
        auto credential = BuildSecurityCredential(initiator_password, certificate_pem_);
        if (!credential) return tl::unexpected(credential.error());
        built.security_credential = *credential;
    }
    std::shared_ptr<DarajaClient> client = std::make_shared<HttpDarajaClient>(http_, std::move(built), clock_);
    clients_[key] = Entry{fingerprint, client};
    return client;
}

size_t AccountClients::size() const {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

}  // namespace haven::daraja
