#include "service/api_keys.hpp"

#include <sodium.h>

#include <array>

#include "core/hex.hpp"
#include "service/auth.hpp"

namespace haven::service {

NewApiKey GenerateApiKey() {
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    NewApiKey out;
    out.key = std::string(kApiKeyPrefix) +
              Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    out.hash = HashApiKey(out.key);
    out.prefix = out.key.substr(0, kApiKeyVisibleChars);
    return out;
}

std::string HashApiKey(std::string_view key) { return core::Sha256Hex(key); }

bool LooksLikeApiKey(std::string_view text) {
    if (text.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) return false;
    std::string decoded;
    return Base64UrlDecode(text.substr(kApiKeyPrefix.size()), decoded) && decoded.size() == 32;
}

}  // namespace haven::service
