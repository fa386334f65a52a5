#include "service/auth.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

namespace haven::service {
namespace {

constexpr std::string_view kSecret = "test-secret-0123456789abcdef0123456789";
constexpr int64_t kNow = 1'800'000'000;

Claims SampleClaims() { return Claims{7, 3, core::Role::kManager, "jane@agency.co.ke", kNow - 10, kNow + 3600}; }

// Signs header.payload with HS256 independently of the code under test, to forge tokens.
std::string Sign(const std::string& header_json, const std::string& payload_json, std::string_view secret) {
    std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string PayloadOf(const std::string& token) {
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    std::string payload;
    EXPECT_TRUE(Base64UrlDecode(token.substr(first + 1, second - first - 1), payload));
    return payload;
}

void ExpectInvalid(const core::Result<Claims>& result, const char* why) {
    ASSERT_FALSE(result.has_value()) << why;
    EXPECT_EQ(result.error().code, core::ErrorCode::kUnauthenticated) << why;
    EXPECT_EQ(result.error().message, "invalid token") << why;
}

TEST(Jwt, RoundTrip) {
    std::string token = IssueJwt(SampleClaims(), kSecret);
    auto claims = VerifyJwt(token, kSecret, kNow);
    ASSERT_TRUE(claims.has_value()) << claims.error().message;
    EXPECT_EQ(claims->user_id, 7);
    EXPECT_EQ(claims->agency_id, 3);
    EXPECT_EQ(claims->role, core::Role::kManager);
    EXPECT_EQ(claims->email, "jane@agency.co.ke");
    EXPECT_EQ(claims->iat, kNow - 10);
    EXPECT_EQ(claims->exp, kNow + 3600);
}

TEST(Jwt, IsThreeUnpaddedBase64UrlParts) {
    std::string token = IssueJwt(SampleClaims(), kSecret);
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
              std::string::npos);
}

TEST(Jwt, ForgedTokenWithSameSecretVerifies) {
    // Guards the forging helper used by the rejection tests below.
    std::string token = Sign(R"({"alg":"HS256"})", PayloadOf(IssueJwt(SampleClaims(), kSecret)), kSecret);
    EXPECT_TRUE(VerifyJwt(token, kSecret, kNow).has_value());
}

TEST(Jwt, TamperedSignatureIsRejected) {
    std::string token = IssueJwt(SampleClaims(), kSecret);
    std::string tampered = token;
    char& last = tampered[tampered.size() - 2];
    last = last == 'A' ? 'B' : 'A';
    ExpectInvalid(VerifyJwt(tampered, kSecret, kNow), "flipped signature character");
}

TEST(Jwt, TamperedPayloadIsRejected) {
    std::string token = IssueJwt(SampleClaims(), kSecret);
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    std::string payload = PayloadOf(token);
    auto pos = payload.find("manager");
    ASSERT_NE(pos, std::string::npos);
    payload.replace(pos, 7, "admin");
    std::string forged = token.substr(0, first + 1) + Base64UrlEncode(payload) + token.substr(second);
    ExpectInvalid(VerifyJwt(forged, kSecret, kNow), "role escalated in payload");
}

TEST(Jwt, WrongSecretIsRejected) {
    ExpectInvalid(VerifyJwt(IssueJwt(SampleClaims(), kSecret), "another-secret", kNow), "wrong secret");
}

TEST(Jwt, AlgNoneIsRejected) {
    std::string payload = PayloadOf(IssueJwt(SampleClaims(), kSecret));
    std::string unsigned_token =
        Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(payload) + ".";
    ExpectInvalid(VerifyJwt(unsigned_token, kSecret, kNow), "alg none, empty signature");
    ExpectInvalid(VerifyJwt(Sign(R"({"alg":"none"})", payload, kSecret), kSecret, kNow), "alg none, signed");
}

TEST(Jwt, OtherAlgorithmsAndMissingAlgAreRejected) {
    std::string payload = PayloadOf(IssueJwt(SampleClaims(), kSecret));
    for (const char* header : {R"({"alg":"HS512","typ":"JWT"})", R"({"alg":"RS256"})", R"({"alg":"hs256"})",
                               R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})", R"(["HS256"])",
                               R"({"alg":"HS256","typ":"JWS"})", R"({"alg":"HS256","crit":["exp"]})", "not json"}) {
        ExpectInvalid(VerifyJwt(Sign(header, payload, kSecret), kSecret, kNow), header);
    }
}

TEST(Jwt, TypIsOptional) {
    std::string payload = PayloadOf(IssueJwt(SampleClaims(), kSecret));
    EXPECT_TRUE(VerifyJwt(Sign(R"({"alg":"HS256"})", payload, kSecret), kSecret, kNow).has_value());
}

TEST(Jwt, ExpiredIsRejected) {
    Claims claims = SampleClaims();
    std::string token = IssueJwt(claims, kSecret);
    EXPECT_TRUE(VerifyJwt(token, kSecret, claims.exp - 1).has_value());
    for (int64_t now : {claims.exp, claims.exp + 1, claims.exp + 86400}) {
        auto result = VerifyJwt(token, kSecret, now);
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error().code, core::ErrorCode::kUnauthenticated);
        EXPECT_EQ(result.error().message, "token expired");
    }
}

TEST(Jwt, MalformedTokensAreRejected) {
    std::string token = IssueJwt(SampleClaims(), kSecret);
    for (const std::string& bad :
         {std::string(), std::string("."), std::string(".."), std::string("abc"), std::string("a.b"),
          std::string("a.b.c"), token + ".", token + "=", "." + token, token.substr(0, token.size() - 1), token + "A",
          std::string("e30.e30.") + token.substr(token.rfind('.') + 1)}) {
        ExpectInvalid(VerifyJwt(bad, kSecret, kNow), bad.c_str());
    }
}

TEST(Jwt, MissingOrMistypedClaimsAreRejected) {
    for (const char* payload :
         {R"({})", R"({"sub":7,"agency_id":3,"role":"admin","email":"a@b","iat":1,"exp":9999999999})",
          R"({"sub":"7","agency_id":"3","role":"admin","email":"a@b","iat":1,"exp":9999999999})",
          R"({"sub":"7","agency_id":3,"role":"owner","email":"a@b","iat":1,"exp":9999999999})",
          R"({"sub":"7","agency_id":3,"role":"admin","iat":1,"exp":9999999999})",
          R"({"sub":"7","agency_id":3,"role":"admin","email":"a@b","iat":1})",
          R"({"sub":"7","agency_id":3,"role":"admin","email":"a@b","iat":1,"exp":1e10})",
          R"({"sub":"0","agency_id":3,"role":"admin","email":"a@b","iat":1,"exp":9999999999})", R"("just a string")"}) {
        ExpectInvalid(VerifyJwt(Sign(R"({"alg":"HS256","typ":"JWT"})", payload, kSecret), kSecret, kNow), payload);
    }
}

TEST(Jwt, EmptySecretNeverVerifies) {
    std::string token = IssueJwt(SampleClaims(), "");
    ExpectInvalid(VerifyJwt(token, "", kNow), "empty secret");
}

TEST(Base64Url, RoundTripsAllLengths) {
    std::string data;
    for (int i = 0; i < 70; ++i) {
        std::string decoded;
        std::string encoded = Base64UrlEncode(data);
        EXPECT_EQ(encoded.find('='), std::string::npos);
        ASSERT_TRUE(Base64UrlDecode(encoded, decoded)) << i;
        EXPECT_EQ(decoded, data);
        data.push_back(static_cast<char>(i * 37 + 250));
    }
    EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64Url, RejectsNonCanonicalInput) {
    std::string out;
    EXPECT_FALSE(Base64UrlDecode("AAA=", out));
    EXPECT_FALSE(Base64UrlDecode("AA+/", out));
    EXPECT_FALSE(Base64UrlDecode("A", out));
    EXPECT_FALSE(Base64UrlDecode("AB", out));  // trailing bits set
    EXPECT_TRUE(Base64UrlDecode("AA", out));
    EXPECT_FALSE(Base64UrlDecode("A A", out));
}

TEST(Password, HashVerifies) {
    auto hash = HashPassword("correct horse battery staple");
    ASSERT_TRUE(hash.has_value()) << hash.error().message;
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
    EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery staple"));
}

TEST(Password, WrongPasswordIsRejected) {
    auto hash = HashPassword("correct horse battery staple");
    ASSERT_TRUE(hash.has_value());
    EXPECT_FALSE(VerifyPassword(*hash, "correct horse battery stapler"));
    EXPECT_FALSE(VerifyPassword(*hash, ""));
}

TEST(Password, SaltMakesEachHashDifferent) {
    auto a = HashPassword("same");
    auto b = HashPassword("same");
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(VerifyPassword(*b, "same"));
}

TEST(Password, MalformedHashIsRejected) {
    EXPECT_FALSE(VerifyPassword("", "x"));
    EXPECT_FALSE(VerifyPassword("not a hash", "x"));
    EXPECT_FALSE(VerifyPassword(std::string(300, 'a'), "x"));
    auto hash = HashPassword("x");
    ASSERT_TRUE(hash.has_value());
    EXPECT_FALSE(VerifyPassword(hash->substr(0, hash->size() - 4), "x"));
}

TEST(RandomToken, IsHexOfTheRequestedSizeAndVaries) {
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        std::string token = RandomToken(16);
        EXPECT_EQ(token.size(), 32u);
        EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 20u);
    EXPECT_EQ(RandomToken(0), "");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
    EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
    EXPECT_TRUE(ConstantTimeEquals("", ""));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
    EXPECT_FALSE(ConstantTimeEquals("abc", ""));
}

}  // namespace
}  // namespace haven::service
