// Fuzzes JWT verification (every Authorization: Bearer header). A forged signature never verifies, so the
// first byte picks what the rest is: 0 = a raw token; 1 = a payload signed with the test secret under the
// HS256 header; 2 = "header\npayload", both signed with the test secret. The signed modes reach the header
// and claim checks behind the signature.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "service/auth.hpp"

using namespace haven;

namespace {

constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000;

std::string Sign(const std::string& header, const std::string& payload) {
    std::string input = service::Base64UrlEncode(header) + "." + service::Base64UrlEncode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + service::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool SameClaims(const service::Claims& a, const service::Claims& b) {
    return a.user_id == b.user_id && a.agency_id == b.agency_id && a.role == b.role && a.email == b.email &&
           a.iat == b.iat && a.exp == b.exp;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
    // Base64url: decoding is the inverse of encoding, and every accepted text has exactly one encoding.
    std::string decoded;
    if (service::Base64UrlDecode(rest, decoded)) FUZZ_CHECK(service::Base64UrlEncode(decoded) == rest);

    std::string token;
    switch (data[0] % 3) {
        case 0:
            token = rest;
            break;
        case 1:
            token = Sign(R"({"alg":"HS256","typ":"JWT"})", rest);
            break;
        default: {
            auto nl = rest.find('\n');
            token = nl == std::string::npos ? Sign(rest, "{}") : Sign(rest.substr(0, nl), rest.substr(nl + 1));
        }
    }

    auto claims = service::VerifyJwt(token, kSecret, kNow);
    if (!claims) {
        FUZZ_CHECK(claims.error().code == core::ErrorCode::kUnauthenticated);
        return 0;
    }
    // A token that verifies is unexpired, names a real user, and re-issues to the same claims.
    FUZZ_CHECK(claims->exp > kNow);
    FUZZ_CHECK(claims->user_id > 0);
    std::string reissued = service::IssueJwt(*claims, kSecret);
    auto again = service::VerifyJwt(reissued, kSecret, kNow);
    FUZZ_CHECK(again && SameClaims(*again, *claims));
    // Only the secret that signed it verifies it.
    FUZZ_CHECK(!service::VerifyJwt(token, "another-secret", kNow));
    FUZZ_CHECK(!service::VerifyJwt(token, "", kNow));
    return 0;
}
