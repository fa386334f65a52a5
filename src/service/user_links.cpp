#include "service/user_links.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <array>

#include "core/hex.hpp"
#include "service/auth.hpp"

namespace haven::service {

LinkToken NewLinkToken() {
    std::array<unsigned char, 32> raw{};
    (void)sodium_init();  // idempotent; randombytes_buf needs it once
    randombytes_buf(raw.data(), raw.size());
    LinkToken out;
    out.token = Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    sodium_memzero(raw.data(), raw.size());
    out.hash = LinkTokenHash(out.token);
    return out;
}

std::string LinkTokenHash(std::string_view token) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
    return core::ToHex(digest.data(), digest.size());
}

std::string LinkPath(std::string_view token) { return "/invite.html#token=" + std::string(token); }

}  // namespace haven::service
