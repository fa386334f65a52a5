#include "workers/alerts.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace haven::workers {

using std::chrono::system_clock;

namespace {

struct Condition {
    const char* code;
    std::map<int64_t, storage::Store::AlertEvidence> holding;  // agency -> evidence
    std::string (*message)(const storage::Store::AlertEvidence&, const AlertSettings&);
};

std::string Minutes(std::chrono::seconds s) {
    if (s.count() % 60 != 0) return std::to_string(s.count()) + " seconds";
    const auto m = s.count() / 60;
    return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

std::string CallbacksMessage(const storage::Store::AlertEvidence& e, const AlertSettings& s) {
    return std::to_string(e.count) + " payment prompts accepted by M-Pesa since " + e.since +
           " got no callback within " + Minutes(s.callback_after) +
           ", and no callback arrived since: M-Pesa probably cannot reach the callback URL "
           "(check PUBLIC_BASE_URL, the firewall and the TLS certificate)";
}

std::string WebhooksMessage(const storage::Store::AlertEvidence& e, const AlertSettings&) {
    return std::to_string(e.count) + (e.count == 1 ? " webhook endpoint has" : " webhook endpoints have") +
           " been failing since " + e.since + ": see the Webhooks page for the attempts and their errors";
}

/// The alert's reason_code without "alert_": what GET /api/v1/alerts and the system.alert event call it.
std::string PublicCode(const std::string& reason_code) {
    return reason_code.rfind("alert_", 0) == 0 ? reason_code.substr(6) : reason_code;
}

}  // namespace

Alerts::Alerts(net::Runtime& runtime, storage::Store& store, AlertSettings settings)
    : runtime_(runtime), store_(store), settings_(settings) {}

Alerts::~Alerts() { Stop(); }

void Alerts::Start() {
    if (!stopped_->exchange(false)) return;
    Schedule();
}

void Alerts::Stop() { stopped_->store(true); }

void Alerts::Schedule() {
    auto stopped = stopped_;
    runtime_.PostAfter(settings_.interval, [this, stopped] {
        if (stopped->load()) return;
        RunOnce();
        if (!stopped->load()) Schedule();
    });
}

int Alerts::RunOnce() {
    const auto now = system_clock::now();
    Condition conditions[] = {{kAlertCallbacksMissing, {}, CallbacksMessage},
                              {kAlertWebhooksFailing, {}, WebhooksMessage}};
    auto pushes = store_.PushesWithoutCallback(core::IsoUtc(now - settings_.lookback),
                                               core::IsoUtc(now - settings_.callback_after));
    auto webhooks = store_.FailingWebhookEndpoints(core::IsoUtc(now - settings_.webhook_after));
    if (!pushes || !webhooks) {
        // Without the evidence nothing is raised or cleared: a database hiccup must not resolve a real alert.
        spdlog::error("alerts: conditions not read: {}", (!pushes ? pushes.error() : webhooks.error()).message);
        return 0;
    }
    for (const auto& e : *pushes) {
        if (e.count >= settings_.min_pushes) conditions[0].holding[e.agency_id] = e;
    }
    for (const auto& e : *webhooks) conditions[1].holding[e.agency_id] = e;

    auto latest = store_.LatestAlerts(std::nullopt, false);
    if (!latest) {
        spdlog::error("alerts: alert items not read: {}", latest.error().message);
        return 0;
    }
    int raised = 0;
    for (auto& cond : conditions) {
        std::map<int64_t, storage::ReviewItem> newest;  // agency -> its newest item of this code
        for (const auto& item : *latest) {
            if (item.reason_code == cond.code && item.agency_id) newest[*item.agency_id] = item;
        }
        // Cleared: the condition no longer holds, so the open item resolves itself.
        for (const auto& [agency_id, item] : newest) {
            if (item.status != "open" || cond.holding.count(agency_id)) continue;
            auto resolved = store_.ResolveReview(agency_id, false, item.id, "cleared", "system");
            if (resolved) {
                spdlog::info("alerts: {} of agency {} cleared", PublicCode(cond.code), agency_id);
            } else if (resolved.error().code != core::ErrorCode::kConflict) {
                spdlog::error("alerts: {} not resolved: {}", item.id, resolved.error().message);
            }
        }
        for (const auto& [agency, evidence] : cond.holding) {
            const int64_t agency_id = agency;  // captured by the unit of work below
            if (auto it = newest.find(agency_id); it != newest.end()) {
                const auto& item = it->second;
                if (item.status == "open") continue;
                // Acknowledged by a person during this episode (the evidence began before they resolved it).
                if (item.resolved_by != "system" && evidence.since <= item.resolved_at) continue;
            }
            const std::string message = cond.message(evidence, settings_);
            const std::string code = cond.code;
            bool opened_now = false;
            auto unit = store_.Atomically([&](storage::Store& s) -> core::Result<void> {
                opened_now = false;  // a unit may run again after its batch failed
                auto opened = s.OpenReview({.agency_id = agency_id, .reason_code = code, .reason = message});
                if (!opened) return core::Fail(opened.error());
                // Another process may have raised it a moment ago: its event stands (and the unique index
                // outbox_events_alert_once keeps a second one out even in a race).
                auto has = s.HasOutboxEvent("system.alert", "alert", opened->id);
                if (!has) return core::Fail(has.error());
                if (*has) return {};
                storage::OutboxEvent event;
                event.agency_id = agency_id;
                event.type = "system.alert";
                event.subject_kind = "alert";
                event.subject_id = opened->id;
                event.data = nlohmann::json{{"code", PublicCode(code)}, {"message", message}}.dump();
                auto inserted = s.InsertOutboxEvent(event);
                if (!inserted) return core::Fail(inserted.error());
                opened_now = true;
                return {};
            });
            if (!unit) {
                spdlog::error("alerts: {} of agency {} not raised: {}", PublicCode(code), agency_id,
                              unit.error().message);
                continue;
            }
            if (opened_now) {
                ++raised;
                spdlog::warn("alerts: {} raised for agency {}: {}", PublicCode(code), agency_id, message);
            }
        }
    }
    return raised;
}

}  // namespace haven::workers
