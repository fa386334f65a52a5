// The request target as logs show it: Daraja's hook secret and query strings never appear.
#include "net/target.hpp"

#include <gtest/gtest.h>

namespace haven::net {
namespace {

TEST(DarajaHookSecret, IsTheSegmentAfterThePrefix) {
    EXPECT_EQ(DarajaHookSecret("/hooks/daraja/ab12/callback"), "ab12");
    EXPECT_EQ(DarajaHookSecret("/hooks/daraja/ab12/c2b/confirmation"), "ab12");
    EXPECT_EQ(DarajaHookSecret("/hooks/daraja/ab12"), "ab12");
    EXPECT_EQ(DarajaHookSecret("/api/v1/mpesa/callback"), std::nullopt);
    EXPECT_EQ(DarajaHookSecret("/hooks/darajaX/ab12/callback"), std::nullopt);
    EXPECT_EQ(DarajaHookSecret("/hooks/daraja/"), std::nullopt);
    // The router skips empty segments, so these reach the hook too.
    EXPECT_EQ(DarajaHookSecret("//hooks//daraja/ab12/callback"), "ab12");
}

TEST(LogPath, MasksTheHookSecretAndDropsTheQuery) {
    EXPECT_EQ(LogPath("/hooks/daraja/0f3a9c77/b2c/result"), "/hooks/daraja/****/b2c/result");
    EXPECT_EQ(LogPath("/hooks/daraja/0f3a9c77/callback?secret=0f3a9c77"), "/hooks/daraja/****/callback");
    EXPECT_EQ(LogPath("/api/v1/mpesa/callback?secret=0f3a9c77"), "/api/v1/mpesa/callback");
    EXPECT_EQ(LogPath("/api/v1/leases/42"), "/api/v1/leases/42");
}

TEST(LogPath, MasksTheSecretWhenThePrefixIsSpelledWithEscapes) {
    // The router matches the decoded path, so an escaped prefix reaches the hook: its secret is masked too.
    EXPECT_EQ(LogPath("/hooks/%64araja/0f3a9c77/callback"), "/hooks/daraja/****/callback");
    EXPECT_EQ(LogPath("/%68ooks/daraja/0f3a9c77/callback"), "/hooks/daraja/****/callback");
    EXPECT_EQ(LogPath("//hooks/daraja/0f3a9c77/callback"), "//hooks/daraja/****/callback");
}

TEST(MaskDarajaHookSecret, LeavesOtherPathsAlone) {
    EXPECT_EQ(MaskDarajaHookSecret("/hooks/daraja/s3cr3t/c2b/validation"), "/hooks/daraja/****/c2b/validation");
    EXPECT_EQ(MaskDarajaHookSecret("/api/v1/c2b/settings"), "/api/v1/c2b/settings");
}

}  // namespace
}  // namespace haven::net
