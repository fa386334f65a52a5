#include "core/daraja_url.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

TEST(ForbiddenUrlWord, NeutralHookUrlHasNone) {
    EXPECT_EQ(FindForbiddenUrlWord("https://pay.example.co.ke/hooks/daraja/0f3a9c/c2b/confirmation"), std::nullopt);
}

TEST(ForbiddenUrlWord, SeedCallbackPathIsRefusedForMpesa) {
    EXPECT_EQ(FindForbiddenUrlWord("https://example.com/api/v1/mpesa/callback?secret=ab"), "mpesa");
}

TEST(ForbiddenUrlWord, EveryWordIsFoundInAnyCase) {
    struct Case {
        const char* url;
        const char* word;
    };
    const Case cases[] = {
        {"https://M-PESA.example.com/x", "m-pesa"},     {"https://example.com/Safaricom/c2b", "safaricom"},
        {"https://example.com/run.EXE", "exe"},         {"https://example.com/Cmd/c2b", "cmd"},
        {"https://example.com/mySQL/c2b", "sql"},       {"https://example.com/c2b?Query=1", "query"},
        {"https://example.com/MPesa/confirm", "mpesa"}, {"https://mpesa-rent.example.com/", "mpesa"},
    };
    for (const auto& c : cases) EXPECT_EQ(FindForbiddenUrlWord(c.url), c.word) << c.url;
}

TEST(ForbiddenUrlWord, NamesTheFirstWordOfTheListWhenSeveralAppear) {
    // "exec" also contains "exe", which comes first in Daraja's list; "mpesa" comes before "query".
    EXPECT_EQ(FindForbiddenUrlWord("https://example.com/exec"), "exe");
    EXPECT_EQ(FindForbiddenUrlWord("https://example.com/query/mpesa"), "mpesa");
}

TEST(ForbiddenUrlWord, HexSecretsCannotSpellAWord) {
    // Every forbidden word has a letter outside 0-9a-f, so a hex secret never brings one into a URL.
    EXPECT_EQ(FindForbiddenUrlWord("0123456789abcdefABCDEF"), std::nullopt);
    for (auto word : kForbiddenUrlWords) {
        EXPECT_NE(std::string(word).find_first_not_of("0123456789abcdef"), std::string::npos) << word;
    }
}

TEST(UrlSafeSegment, AcceptsUnreservedCharactersOnly) {
    EXPECT_TRUE(IsUrlSafeSegment("0f3a9c-Secret_1.2~"));
    EXPECT_FALSE(IsUrlSafeSegment(""));
    EXPECT_FALSE(IsUrlSafeSegment(".."));
    EXPECT_FALSE(IsUrlSafeSegment("abc/def"));
    EXPECT_FALSE(IsUrlSafeSegment("abc?def"));
    EXPECT_FALSE(IsUrlSafeSegment("abc def"));
    EXPECT_FALSE(IsUrlSafeSegment("a+b="));
}

}  // namespace
}  // namespace haven::core

namespace haven::core {
namespace {

TEST(DarajaHookUrl, BuildsTheNeutralPathFromTheBase) {
    EXPECT_EQ(DarajaHookUrl("https://pay.example.co.ke", "0f3a", "c2b/confirmation"),
              "https://pay.example.co.ke/hooks/daraja/0f3a/c2b/confirmation");
    EXPECT_EQ(DarajaHookUrl("https://example.com/haven", "0f3a", "callback"),
              "https://example.com/haven/hooks/daraja/0f3a/callback");
    EXPECT_EQ(MaskedDarajaHookUrl("https://example.com", "b2c/result"),
              "https://example.com/hooks/daraja/****/b2c/result");
}

TEST(DarajaHookUrl, EveryNeutralUrlOfANeutralBaseAndHexSecretPassesDaraja) {
    for (const char* path : {"callback", "b2c/result", "b2c/timeout", "reversal/result", "reversal/timeout",
                             "balance/result", "balance/timeout", "transaction-status/result",
                             "transaction-status/timeout", "c2b/confirmation", "c2b/validation"}) {
        const auto url = DarajaHookUrl("https://pay.example.co.ke", "9e107d9d372bb6826bd81d3542a419d6", path);
        EXPECT_EQ(FindForbiddenUrlWord(url), std::nullopt) << url;
    }
}

}  // namespace
}  // namespace haven::core
