#include "service/webhook_signing.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace haven::service {

namespace {

constexpr std::string_view kPrefix = "whsec_";

std::string Base64(const unsigned char* data, size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

}  // namespace

std::string NewWebhookSecret() {
    if (sodium_init() < 0) std::abort();
    unsigned char key[32];
    randombytes_buf(key, sizeof key);
    std::string out = std::string(kPrefix) + Base64(key, sizeof key);
    sodium_memzero(key, sizeof key);
    return out;
}

core::Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                      std::string_view body) {
    if (sodium_init() < 0) std::abort();
    if (secret.starts_with(kPrefix)) secret.remove_prefix(kPrefix.size());
    std::vector<unsigned char> key(secret.size());
    size_t key_len = 0;
    if (secret.empty() || sodium_base642bin(key.data(), key.size(), secret.data(), secret.size(), nullptr, &key_len,
                                            nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
        return core::Fail(core::ErrorCode::kValidation, "the webhook secret is not base64");
    }
    const std::string signed_text = std::string(id) + "." + std::to_string(timestamp) + "." + std::string(body);
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key_len);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                  signed_text.size());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(key.data(), key.size());
    return "v1," + Base64(mac, sizeof mac);
}

core::Result<std::string> WebhookSignatureHeader(const std::vector<std::string>& secrets, std::string_view id,
                                                 int64_t timestamp, std::string_view body) {
    std::string out;
    for (const std::string& secret : secrets) {
        auto sig = SignWebhook(secret, id, timestamp, body);
        if (!sig) return sig;
        if (!out.empty()) out += ' ';
        out += *sig;
    }
    return out;
}

}  // namespace haven::service
