#include "workers/webhook_sender.hpp"

#include "core/time.hpp"
#include "net/address_policy.hpp"
#include "service/webhook_signing.hpp"

namespace haven::workers {

namespace {

constexpr size_t kExcerptBytes = 500;

service::DeliveryResult Refused(std::string error) {
    service::DeliveryResult r;
    r.retry = false;
    r.error = std::move(error);
    return r;
}

}  // namespace

std::string WebhookId(int64_t event_id) { return "evt_" + std::to_string(event_id); }

WebhookSender::WebhookSender(storage::Store& store, const service::SecretBox& box, net::HttpClient& http,
                             WebhookSenderSettings settings, std::function<std::chrono::system_clock::time_point()> now)
    : store_(store), box_(box), http_(http), settings_(settings), now_(std::move(now)) {}

service::DeliveryResult WebhookSender::Deliver(const storage::OutboxMessage& message) {
    if (!message.endpoint_id) return Refused("a webhook message without an endpoint");
    auto endpoint = store_.FindWebhookEndpointAny(*message.endpoint_id);
    if (!endpoint) {
        service::DeliveryResult r;
        r.error = "cannot read the endpoint: " + endpoint.error().message;
        return r;
    }
    auto secret = box_.Open(endpoint->secret_sealed);
    if (!secret) return Refused("cannot open the endpoint's secret (was MASTER_KEY changed?)");
    const auto now = now_();
    std::vector<std::string> secrets{*secret};
    if (!endpoint->previous_secret_sealed.empty()) {
        auto until = core::ParseIsoUtc(endpoint->previous_secret_until);
        if (until && now < *until) {
            if (auto previous = box_.Open(endpoint->previous_secret_sealed)) secrets.push_back(*previous);
        }
    }
    const std::string id = WebhookId(message.event_id);
    const int64_t timestamp = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto signature = service::WebhookSignatureHeader(secrets, id, timestamp, message.payload);
    if (!signature) return Refused(signature.error().message);

    net::ClientRequest request;
    request.method = "POST";
    request.url = endpoint->url;
    request.body = message.payload;
    request.timeout = settings_.timeout;
    request.headers["Content-Type"] = "application/json";
    request.headers["User-Agent"] = "Haven-MPesa-Webhooks/1";
    request.headers["webhook-id"] = id;
    request.headers["webhook-timestamp"] = std::to_string(timestamp);
    request.headers["webhook-signature"] = *signature;
    if (!settings_.allow_private) {
        request.refuse_address = [](const std::string& ip) {
            std::string why = net::NonPublicAddressReason(ip);
            return why.empty() ? why : why + " address (set WEBHOOKS_ALLOW_PRIVATE=true to allow)";
        };
    }
    auto response = http_.Send(request);
    service::DeliveryResult result;
    if (!response) {
        result.error = response.error().message;
        return result;
    }
    result.status_code = response->status;
    result.response_excerpt = response->body.substr(0, kExcerptBytes);
    result.ok = response->status >= 200 && response->status < 300;
    if (!result.ok) result.error = "HTTP " + std::to_string(response->status);
    return result;
}

}  // namespace haven::workers
