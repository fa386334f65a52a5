#pragma once
// Secrets stored at rest (an agency's consumer key and secret, passkey, initiator password): sealed with
// libsodium's secretbox (XSalsa20-Poly1305) under the master key (MASTER_KEY). A sealed value is
// base64(nonce || box); a fresh random nonce per value, so sealing the same text twice gives two values.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace haven::service {

using core::Result;

class SecretBox {
  public:
    static constexpr size_t kKeyBytes = 32;

    /// The key from 64 hex characters; kValidation when the text is anything else.
    static Result<SecretBox> FromHex(std::string_view hex);
    /// A new random key, as 64 lowercase hex characters.
    static std::string NewKeyHex();

    /// base64(nonce || secretbox(plain)).
    std::string Seal(std::string_view plain) const;
    /// The plain text; kInternal when the value is not base64, too short, tampered with or sealed under another
    /// key (the message never contains the value).
    Result<std::string> Open(std::string_view sealed) const;

  private:
    SecretBox() = default;
    std::array<unsigned char, kKeyBytes> key_{};
};

/// The key kept in `path` (64 hex characters), created with mode 0600 when the file does not exist: how
/// simulator mode keeps one master key across restarts without MASTER_KEY. kInternal when it cannot be read or
/// written, kValidation when the file holds something else.
Result<std::string> LoadOrCreateKeyFile(const std::string& path);

}  // namespace haven::service
