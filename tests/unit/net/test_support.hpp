#pragma once
// Test helpers: temp directories and a self-signed certificate for localhost/127.0.0.1 made with OpenSSL.
#include <string>

namespace haven::net::testing {

/// Creates a fresh directory under the system temp dir.
std::string MakeTempDir(const std::string& prefix);

struct TestCert {
    std::string cert_file;  // PEM certificate (also usable as the CA file: it is self-signed)
    std::string key_file;   // PEM private key
};

/// Writes a self-signed EC P-256 certificate with SAN DNS:localhost, IP:127.0.0.1 into dir.
TestCert MakeSelfSignedCert(const std::string& dir, const std::string& name = "cert");

}  // namespace haven::net::testing
