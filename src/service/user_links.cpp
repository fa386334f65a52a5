#include "service/user_links.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>

#include "core/hex.hpp"
#include "service/auth.hpp"

namespace haven::service {

LinkToken NewLinkToken() {
    std::array<unsigned char, 32> raw{};
    // randombytes_buf needs libsodium started (sodium_init is idempotent); without a random source no link may be
    // made at all.
    if (sodium_init() < 0) std::abort();
    randombytes_buf(raw.data(), raw.size());
    LinkToken out;
    out.token = Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    sodium_memzero(raw.data(), raw.size());
    out.hash = LinkTokenHash(out.token);
    return out;
}

std::string LinkTokenHash(std::string_view token) { return core::Sha256Hex(token); }

std::string LinkPath(std::string_view token) { return "/invite.html#token=" + std::string(token); }

}  // namespace haven::service
