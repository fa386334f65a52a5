#pragma once
// The simulator's RSA key pair and self-signed X.509 certificate, used to decrypt SecurityCredential
// (base64 of RSA PKCS#1 v1.5 encryption of the initiator password) and, optionally, to serve HTTPS.
#include <memory>
#include <string>

#include "core/error.hpp"

namespace haven::sim {

class CredentialKey {
  public:
    /// A fresh RSA-2048 key and a self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1).
    static core::Result<CredentialKey> Generate();
    /// Loads a PEM certificate and PEM private key from files.
    static core::Result<CredentialKey> Load(const std::string& cert_file, const std::string& key_file);

    std::string CertificatePem() const;
    std::string PrivateKeyPem() const;

    /// kValidation when the text is not base64 of a key-sized block; kUnprocessable when it does not
    /// decrypt under this key (e.g. made with Safaricom's certificate). Otherwise the password.
    core::Result<std::string> Decrypt(const std::string& credential_base64) const;

    /// base64(RSA PKCS#1 v1.5 encrypt(password)) under the certificate's public key — what Daraja
    /// clients do. kValidation when the PEM is not a certificate with an RSA key.
    static core::Result<std::string> Encrypt(const std::string& certificate_pem, const std::string& password);

    struct State;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace haven::sim
