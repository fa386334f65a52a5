#pragma once
// Standard Webhooks signing (https://www.standardwebhooks.com): a secret is "whsec_" + base64 of 32 random bytes;
// the HMAC key is the decoded bytes; a signature is "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
// Several signatures (a rotation: the new secret and the previous one) are separated by spaces.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::service {

/// A new secret: "whsec_" + base64(32 random bytes).
std::string NewWebhookSecret();

/// "v1,<base64 signature>" of `id.timestamp.body` under `secret` ("whsec_..." or bare base64); kValidation when
/// the secret is not base64.
core::Result<std::string> SignWebhook(std::string_view secret, std::string_view id, int64_t timestamp,
                                      std::string_view body);

/// The webhook-signature header: one signature per secret given (the current one first), space-separated.
core::Result<std::string> WebhookSignatureHeader(const std::vector<std::string>& secrets, std::string_view id,
                                                 int64_t timestamp, std::string_view body);

}  // namespace haven::service
