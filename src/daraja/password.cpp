#include "daraja/password.hpp"

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace haven::daraja {

std::string Base64Encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string Base64Decode(std::string_view data) {
    if (data.empty() || data.size() % 4 != 0) return {};
    std::string out(3 * data.size() / 4, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    if (n < 0) return {};
    // EVP_DecodeBlock counts padding bytes as output: drop one per '='.
    size_t pad = 0;
    if (data.back() == '=') ++pad;
    if (data.size() > 1 && data[data.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string StkPassword(std::string_view shortcode, std::string_view passkey, std::string_view timestamp) {
    std::string plain;
    plain.reserve(shortcode.size() + passkey.size() + timestamp.size());
    plain.append(shortcode).append(passkey).append(timestamp);
    return Base64Encode(plain);
}

}  // namespace haven::daraja
