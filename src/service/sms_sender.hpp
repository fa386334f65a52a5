#pragma once
// Sends an SMS message of the outbox through Africa's Talking (POST {base}/version1/messaging, form-encoded, the
// apiKey header, Accept: application/json; docs: ../shared/africastalking/REFERENCE.md). The HTTP exchange is
// injected (app/ passes the net layer's client), so service/ stays free of sockets. Phone numbers are never logged
// or recorded in full.
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "core/error.hpp"
#include "service/outbox_channel.hpp"

namespace haven::service {

struct SmsSettings {
    std::string username;   // AT_USERNAME ("sandbox" in AT's sandbox)
    std::string api_key;    // AT_API_KEY: never logged
    std::string sender_id;  // AT_SENDER_ID: an approved sender ID or short code ("" = AT's shared default)
    std::string base_url = "https://api.africastalking.com";  // AT_BASE_URL (the simulator's in simulator mode)
    std::chrono::milliseconds timeout{10000};
};

/// One HTTP POST as the sender needs it.
struct SmsHttpRequest {
    std::string url;
    std::map<std::string, std::string> headers;
    std::string body;
    std::chrono::milliseconds timeout{10000};
};
struct SmsHttpResponse {
    int status = 0;
    std::string body;
};
/// kUpstreamUnavailable (or any error) when no answer came: the attempt is retried.
using SmsHttpPost = std::function<core::Result<SmsHttpResponse>(const SmsHttpRequest&)>;

/// application/x-www-form-urlencoded escaping of one value.
std::string FormEncode(const std::string& value);

class SmsSender : public ChannelSender {
  public:
    SmsSender(SmsSettings settings, SmsHttpPost post);
    /// Payload {"to":"+2547...","message":"..."}. 201 with the recipient's statusCode 100-102 = delivered; 400 and
    /// 401 (a configuration error), a bad payload and a recipient refused as invalid (403/404/406) are not
    /// retryable; anything else is.
    DeliveryResult Deliver(const storage::OutboxMessage& message) override;

  private:
    SmsSettings settings_;
    SmsHttpPost post_;
};

}  // namespace haven::service
