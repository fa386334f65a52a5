#include "service/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>

namespace haven::service {

namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kIssuer = "Haven M-Pesa";

std::string PercentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : text) {
        if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '@') {
            out += static_cast<char>(ch);
        } else {
            out += '%';
            out += kHex[ch >> 4];
            out += kHex[ch & 0x0f];
        }
    }
    return out;
}

}  // namespace

std::string Base32Encode(std::string_view data) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char byte : data) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out += kAlphabet[(buffer >> (bits - 5)) & 0x1f];
            bits -= 5;
        }
    }
    if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 0x1f];
    return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (char ch : text) {
        if (ch == ' ' || ch == '=' || ch == '-') continue;
        const char upper = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
        const auto pos = kAlphabet.find(upper);
        if (pos == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 5) | static_cast<uint32_t>(pos);
        bits += 5;
        if (bits >= 8) {
            out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return out;
}

std::string HotpCode(std::string_view key, uint64_t counter, int digits) {
    std::array<unsigned char, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), mac.data(), &mac_len);
    const unsigned offset = mac[mac_len - 1] & 0x0f;
    const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                            (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                            (static_cast<uint32_t>(mac[offset + 2]) << 8) | static_cast<uint32_t>(mac[offset + 3]);
    uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) modulus *= 10;
    std::string code = std::to_string(binary % modulus);
    return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::string TotpCode(std::string_view key, int64_t unix_seconds, int digits) {
    return HotpCode(key, static_cast<uint64_t>(unix_seconds / kTotpStepSeconds), digits);
}

std::optional<int64_t> MatchTotp(std::string_view key, std::string_view code, int64_t unix_seconds) {
    if (code.size() != 6) return std::nullopt;
    for (char ch : code) {
        if (ch < '0' || ch > '9') return std::nullopt;
    }
    const int64_t now_step = unix_seconds / kTotpStepSeconds;
    std::optional<int64_t> match;
    // Every candidate is computed and compared, so the time taken does not say which step matched.
    for (int64_t step = now_step - 1; step <= now_step + 1; ++step) {
        const std::string expected = HotpCode(key, static_cast<uint64_t>(step));
        if (CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0 && !match) match = step;
    }
    return match;
}

std::string NewTotpSecret() {
    if (sodium_init() < 0) return {};
    std::array<unsigned char, 20> raw{};
    randombytes_buf(raw.data(), raw.size());
    std::string out = Base32Encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    sodium_memzero(raw.data(), raw.size());
    return out;
}

std::string OtpauthUri(std::string_view secret_base32, std::string_view account) {
    const std::string issuer = PercentEncode(kIssuer);
    return "otpauth://totp/" + issuer + ":" + PercentEncode(account) + "?secret=" + std::string(secret_base32) +
           "&issuer=" + issuer + "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace haven::service
