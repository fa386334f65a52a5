// Standard Webhooks signing: the specification's own example, the secret's shape, rotation's two signatures.
#include "service/webhook_signing.hpp"

#include <gtest/gtest.h>

namespace haven::service {
namespace {

TEST(WebhookSigning, MatchesTheSpecificationsExample) {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
    auto sig = SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                           R"({"test": 2432232314})");
    ASSERT_TRUE(sig) << sig.error().message;
    EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSigning, ASecretIsWhsecAndBase64Of32Bytes) {
    const std::string a = NewWebhookSecret();
    EXPECT_TRUE(a.starts_with("whsec_"));
    EXPECT_EQ(a.size(), 6u + 44u);
    EXPECT_NE(a, NewWebhookSecret());
}

TEST(WebhookSigning, ARotationSignsWithBothSecretsSpaceSeparated) {
    const std::string current = NewWebhookSecret();
    const std::string previous = NewWebhookSecret();
    auto header = WebhookSignatureHeader({current, previous}, "evt_1", 1700000000, "{}");
    ASSERT_TRUE(header);
    EXPECT_EQ(*header, *SignWebhook(current, "evt_1", 1700000000, "{}") + " " +
                           *SignWebhook(previous, "evt_1", 1700000000, "{}"));
}

TEST(WebhookSigning, ASecretThatIsNotBase64IsRefused) { EXPECT_FALSE(SignWebhook("whsec_***", "evt_1", 1, "{}")); }

}  // namespace
}  // namespace haven::service
