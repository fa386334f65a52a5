#pragma once
// Delivers one webhook message once (service::ChannelSender for the "webhook" channel): signed per Standard
// Webhooks (service/webhook_signing) with the endpoint's secret, and while a rotation is fresh its previous secret
// too; POSTed with a 10 s deadline over http or https; a 2xx answer is delivered. Unless private targets are
// allowed (WEBHOOKS_ALLOW_PRIVATE), the connection is refused when the host resolves to any loopback, private,
// link-local, unique-local, unspecified, multicast or CGNAT address: checked on the resolved addresses right before
// connecting to them (net/address_policy), so a name that points inwards is refused however it was saved.
#include <chrono>
#include <functional>

#include "net/http_client.hpp"
#include "service/outbox_channel.hpp"
#include "service/sealed.hpp"
#include "storage/store.hpp"

namespace haven::workers {

struct WebhookSenderSettings {
    bool allow_private = false;                // WEBHOOKS_ALLOW_PRIVATE
    std::chrono::milliseconds timeout{10000};  // the whole exchange: resolve, connect, TLS, write, read
};

class WebhookSender final : public service::ChannelSender {
  public:
    /// `box` opens the endpoints' sealed secrets; `now` is the clock (injected in tests).
    WebhookSender(storage::Store& store, const service::SecretBox& box, net::HttpClient& http,
                  WebhookSenderSettings settings,
                  std::function<std::chrono::system_clock::time_point()> now = std::chrono::system_clock::now);
    service::DeliveryResult Deliver(const storage::OutboxMessage& message) override;

  private:
    storage::Store& store_;
    const service::SecretBox& box_;
    net::HttpClient& http_;
    WebhookSenderSettings settings_;
    std::function<std::chrono::system_clock::time_point()> now_;
};

/// The webhook-id of an event: "evt_<event id>", the same on every retry and on a manual resend.
std::string WebhookId(int64_t event_id);

}  // namespace haven::workers
