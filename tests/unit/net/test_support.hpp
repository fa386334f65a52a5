#pragma once
// Test helpers: temp directories, a self-signed certificate for localhost/127.0.0.1 made with OpenSSL,
// and raw loopback sockets for talking to the server below HTTP.
#include <chrono>
#include <cstdint>
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

/// A blocking TCP connection to 127.0.0.1:port (closed on destruction).
class RawConnection {
  public:
    explicit RawConnection(uint16_t port);
    ~RawConnection();
    bool connected() const { return fd_ >= 0; }
    bool Send(const std::string& data);
    /// Reads until the peer closes or the deadline passes; returns what arrived.
    std::string ReadAll(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));

  private:
    int fd_ = -1;
};

}  // namespace haven::net::testing
