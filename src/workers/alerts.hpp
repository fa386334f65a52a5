#pragma once
// Alerts when money stops flowing. Every pass looks for two conditions per agency:
//   callbacks_missing  pushes Daraja accepted (CheckoutRequestID set) at least `callback_after` ago that no callback
//                      reached, with no callback at all for the agency since they were made, at least
//                      `min_pushes` of them (one lost callback is noise; several in a row mean the callback URL is
//                      probably unreachable). Pushes the reconciler settled by STK query still count.
//   webhooks_failing   an enabled webhook endpoint failing for `webhook_after` or longer (its failing_since, or a
//                      message still PENDING after an attempt).
// An alert IS a needs-review item of the agency (reason_code alert_callbacks_missing / alert_webhooks_failing, no
// transaction), and each is an episode:
//   - raised when the condition holds and the agency has no open item for it: the item and its system.alert outbox
//     event are written in one unit of work, so the event exists exactly when the item does, once per episode;
//   - resolved by the pass itself (resolution "cleared", by "system") as soon as the condition no longer holds;
//   - a person may resolve it earlier (acknowledged): it is not raised again until the condition has cleared, i.e.
//     while the evidence is no newer than that resolution it is the same episode.
#include <atomic>
#include <chrono>
#include <memory>

#include "net/runtime.hpp"
#include "storage/store.hpp"

namespace haven::workers {

struct AlertSettings {
    std::chrono::milliseconds interval{60000};  // ALERT_INTERVAL_SECONDS: time between passes
    std::chrono::seconds callback_after{600};   // ALERT_CALLBACK_MINUTES (ALERT_CALLBACK_SECONDS overrides)
    int64_t min_pushes = 3;                     // ALERT_MIN_PUSHES: pushes without a callback before it is an alert
    std::chrono::seconds webhook_after{1800};   // ALERT_WEBHOOK_MINUTES
    std::chrono::hours lookback{24};            // older pushes are the reconciler's business, not an alert's
};

/// The reason codes of the alert items (GET /api/v1/alerts shows them without the "alert_" prefix).
inline constexpr const char* kAlertCallbacksMissing = "alert_callbacks_missing";
inline constexpr const char* kAlertWebhooksFailing = "alert_webhooks_failing";

class Alerts {
  public:
    Alerts(net::Runtime& runtime, storage::Store& store, AlertSettings settings);
    ~Alerts();
    void Start();
    void Stop();
    /// One pass (also what the timer runs); returns how many alerts it raised.
    int RunOnce();

  private:
    void Schedule();

    net::Runtime& runtime_;
    storage::Store& store_;
    AlertSettings settings_;
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace haven::workers
