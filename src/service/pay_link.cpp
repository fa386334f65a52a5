#include "service/pay_link.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>

#include "core/hex.hpp"

namespace haven::service {

namespace {

std::string Mac(std::string_view message, std::string_view secret) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
    return core::ToHex(digest, std::min(len, 16u));  // 128 bits is plenty for a link
}

std::optional<int64_t> ParsePositive(std::string_view s) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
}

}  // namespace

std::string SignLeaseToken(LeaseRef ref, std::string_view secret) {
    std::string message = std::to_string(ref.lease_id) + "." + std::to_string(ref.agency_id);
    return message + "." + Mac("pay-link:" + message, secret);
}

std::optional<LeaseRef> VerifyLeaseToken(std::string_view token, std::string_view secret) {
    auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    auto lease = ParsePositive(token.substr(0, first));
    auto agency = ParsePositive(token.substr(first + 1, second - first - 1));
    if (!lease || !agency) return std::nullopt;
    std::string expected = Mac("pay-link:" + std::string(token.substr(0, second)), secret);
    std::string_view given = token.substr(second + 1);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
        return std::nullopt;
    }
    return LeaseRef{*lease, *agency};
}

}  // namespace haven::service
