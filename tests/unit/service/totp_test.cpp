// TOTP against RFC 6238 appendix B (the SHA-1 rows) and base32 against RFC 4648 section 10.
#include "service/totp.hpp"

#include <gtest/gtest.h>

namespace haven::service {
namespace {

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890"; the table gives 8 digits.
constexpr std::string_view kRfcSeed = "12345678901234567890";

TEST(Totp, Rfc6238AppendixBSha1Vectors) {
    const struct {
        int64_t time;
        const char* code;
    } rows[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    for (const auto& row : rows) EXPECT_EQ(TotpCode(kRfcSeed, row.time, 8), row.code) << "T = " << row.time;
}

TEST(Totp, SixDigitCodeIsTheLastSixOfTheEightDigitOne) {
    EXPECT_EQ(TotpCode(kRfcSeed, 59), "287082");
    EXPECT_EQ(TotpCode(kRfcSeed, 1111111109), "081804");
}

TEST(Totp, Rfc4226HotpVectors) {
    const char* codes[] = {"755224", "287082", "359152", "969429", "338314",
                           "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(HotpCode(kRfcSeed, i), codes[i]) << "count " << i;
}

TEST(Totp, MatchAcceptsOneStepEitherSideAndNoMore) {
    const int64_t now = 1111111111;  // step 37037037
    const int64_t step = now / 30;
    EXPECT_EQ(MatchTotp(kRfcSeed, TotpCode(kRfcSeed, now), now), step);
    EXPECT_EQ(MatchTotp(kRfcSeed, TotpCode(kRfcSeed, now - 30), now), step - 1);
    EXPECT_EQ(MatchTotp(kRfcSeed, TotpCode(kRfcSeed, now + 30), now), step + 1);
    EXPECT_EQ(MatchTotp(kRfcSeed, TotpCode(kRfcSeed, now - 60), now), std::nullopt);
    EXPECT_EQ(MatchTotp(kRfcSeed, TotpCode(kRfcSeed, now + 60), now), std::nullopt);
}

TEST(Totp, MatchRefusesMalformedCodes) {
    const int64_t now = 59;
    EXPECT_EQ(MatchTotp(kRfcSeed, "", now), std::nullopt);
    EXPECT_EQ(MatchTotp(kRfcSeed, "28708", now), std::nullopt);
    EXPECT_EQ(MatchTotp(kRfcSeed, "94287082", now), std::nullopt);
    EXPECT_EQ(MatchTotp(kRfcSeed, "28708a", now), std::nullopt);
}

TEST(Base32, Rfc4648Vectors) {
    // Section 10, without the '=' padding (otpauth URIs leave it out).
    EXPECT_EQ(Base32Encode(""), "");
    EXPECT_EQ(Base32Encode("f"), "MY");
    EXPECT_EQ(Base32Encode("fo"), "MZXQ");
    EXPECT_EQ(Base32Encode("foo"), "MZXW6");
    EXPECT_EQ(Base32Encode("foob"), "MZXW6YQ");
    EXPECT_EQ(Base32Encode("fooba"), "MZXW6YTB");
    EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
    EXPECT_EQ(Base32Decode("MZXW6YTBOI======"), "foobar");
    EXPECT_EQ(Base32Decode("mzxw 6ytb oi"), "foobar");
    EXPECT_EQ(Base32Decode("MZXW1"), std::nullopt);
    EXPECT_EQ(Base32Encode(kRfcSeed), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Totp, NewSecretIsTwentyRandomBytes) {
    const auto a = NewTotpSecret();
    const auto b = NewTotpSecret();
    EXPECT_EQ(a.size(), 32u);  // 160 bits in base32
    EXPECT_EQ(Base32Decode(a)->size(), 20u);
    EXPECT_NE(a, b);
}

TEST(Totp, OtpauthUriNamesIssuerAndAccount) {
    EXPECT_EQ(OtpauthUri("JBSWY3DPEHPK3PXP", "admin@a.test"),
              "otpauth://totp/Haven%20M-Pesa:admin@a.test?secret=JBSWY3DPEHPK3PXP&issuer=Haven%20M-Pesa"
              "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace haven::service
