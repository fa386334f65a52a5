#include "workers/outbox.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "service/auth.hpp"

namespace haven::workers {

using std::chrono::system_clock;

namespace {

constexpr int kEventBatch = 50;
/// Messages claimed at once: each may take the full 10 s, and all of them must be sent within the claim's lease.
constexpr int kMessageBatch = 10;

std::string HostName() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "host";
    return name;
}

bool Subscribed(const storage::WebhookEndpoint& e, const std::string& type) {
    if (e.event_types.empty()) return true;
    return std::find(e.event_types.begin(), e.event_types.end(), type) != e.event_types.end();
}

}  // namespace

std::string SubjectKey(const storage::OutboxEvent& event) {
    if (event.subject_kind == "stk" || event.subject_kind == "transfer" || event.subject_kind == "c2b") {
        return "tx:" + std::to_string(event.subject_id);
    }
    if (event.subject_kind == "review") {
        auto data = nlohmann::json::parse(event.data, nullptr, false);
        if (data.is_object() && data.contains("transactionId") && data["transactionId"].is_number_integer()) {
            return "tx:" + std::to_string(data["transactionId"].get<int64_t>());
        }
    }
    return event.subject_kind + ":" + std::to_string(event.subject_id);
}

OutboxWorker::OutboxWorker(net::Runtime& runtime, storage::Store& store, EventRenderer render, OutboxSettings settings)
    : runtime_(runtime),
      store_(store),
      render_(std::move(render)),
      settings_(settings),
      owner_(HostName() + ":" + std::to_string(::getpid()) + ":outbox:" + service::RandomToken(4)) {}

OutboxWorker::~OutboxWorker() { Stop(); }

void OutboxWorker::SetSender(const std::string& channel, std::shared_ptr<service::ChannelSender> sender) {
    senders_[channel] = std::move(sender);
}

void OutboxWorker::SetReceiptFanOut(service::ReceiptFanOut fan_out) { receipts_ = std::move(fan_out); }

void OutboxWorker::Start() {
    if (!stopped_->exchange(false)) return;
    Schedule();
}

void OutboxWorker::Stop() { stopped_->store(true); }

void OutboxWorker::Schedule() {
    auto stopped = stopped_;
    runtime_.PostAfter(settings_.interval, [this, stopped] {
        if (stopped->load()) return;
        RunOnce();
        if (!stopped->load()) Schedule();
    });
}

std::chrono::milliseconds OutboxWorker::Backoff(int64_t attempts, const OutboxSettings& settings) {
    auto delay = settings.retry_base;
    for (int64_t i = 1; i < attempts && delay < settings.retry_max; ++i) delay *= 2;
    return std::min(delay, settings.retry_max);
}

storage::Claim OutboxWorker::ClaimAt(system_clock::time_point now, int limit) const {
    return {owner_, core::IsoUtc(now), core::IsoUtc(now), core::IsoUtc(now + settings_.lease), limit};
}

OutboxWorker::Pass OutboxWorker::RunOnce() {
    Pass pass;
    pass.fanned_out = FanOut(system_clock::now());
    auto due = store_.ClaimDueOutboxMessages(ClaimAt(system_clock::now(), kMessageBatch));
    if (!due) {
        spdlog::error("outbox: cannot claim messages: {}", due.error().message);
        return pass;
    }
    for (const auto& message : *due) {
        Deliver(message, pass);
    }
    return pass;
}

int OutboxWorker::FanOut(system_clock::time_point now) {
    auto events = store_.ClaimDueOutboxEvents(ClaimAt(now, kEventBatch));
    if (!events) {
        spdlog::error("outbox: cannot claim events: {}", events.error().message);
        return 0;
    }
    int done = 0;
    for (const auto& event : *events) {
        auto fail = [&](const std::string& error) {
            spdlog::warn("outbox: event {} ({}) not fanned out: {}", event.id, event.type, error);
            const auto next = now + Backoff(event.attempts + 1, settings_);
            (void)store_.RetryOutboxEvent(event.id, owner_, error, core::IsoUtc(next));
        };
        std::vector<storage::OutboxMessage> messages;
        const std::string subject_key = SubjectKey(event);
        if (event.agency_id) {
            auto endpoints = store_.ListWebhookEndpoints(*event.agency_id);
            if (!endpoints) {
                fail(endpoints.error().message);
                continue;
            }
            std::string body;
            bool failed = false;
            for (const auto& endpoint : *endpoints) {
                if (!endpoint.enabled || !Subscribed(endpoint, event.type)) continue;
                if (body.empty()) {
                    auto rendered = render_(store_, event);
                    if (!rendered) {
                        fail("cannot render the event: " + rendered.error().message);
                        failed = true;
                        break;
                    }
                    body = std::move(*rendered);
                }
                storage::OutboxMessage m;
                m.event_id = event.id;
                m.agency_id = event.agency_id;
                m.channel = "webhook";
                m.endpoint_id = endpoint.id;
                m.subject_key = subject_key;
                m.dedupe_key = std::to_string(event.id) + ":webhook:" + std::to_string(endpoint.id);
                m.payload = body;
                messages.push_back(std::move(m));
            }
            if (failed) continue;
        }
        if (receipts_) {
            auto more = receipts_(store_, event);
            if (!more) {
                fail("cannot build the receipts: " + more.error().message);
                continue;
            }
            for (auto& m : *more) {
                m.event_id = event.id;
                if (!m.agency_id) m.agency_id = event.agency_id;
                m.subject_key = subject_key;  // the outbox's one key per object: ordering and the transaction's list
                if (m.dedupe_key.empty()) m.dedupe_key = std::to_string(event.id) + ":" + m.channel + ":" + m.recipient;
                messages.push_back(std::move(m));
            }
        }
        auto stored = store_.FanOutOutboxEvent(event.id, owner_, messages);
        if (!stored) {
            fail(stored.error().message);
            continue;
        }
        ++done;
    }
    return done;
}

void OutboxWorker::Deliver(const storage::OutboxMessage& message, Pass& pass) {
    const auto started = system_clock::now();
    storage::OutboxAttempt attempt;
    attempt.message_id = message.id;
    attempt.attempted_at = core::IsoUtc(started);
    service::DeliveryResult result;
    bool cancel = false;
    if (message.channel == "webhook" && message.endpoint_id) {
        auto endpoint = store_.FindWebhookEndpointAny(*message.endpoint_id);
        if (endpoint && (!endpoint->deleted_at.empty() || !endpoint->enabled)) {
            cancel = true;
            result.error = endpoint->deleted_at.empty() ? "not sent: the endpoint is disabled"
                                                        : "not sent: the endpoint was deleted";
        }
    }
    auto sender = senders_.find(message.channel);
    if (!cancel) {
        if (sender == senders_.end() || !sender->second) {
            result.error = "no sender is configured for the " + message.channel + " channel";
        } else {
            result = sender->second->Deliver(message);
        }
    }
    const auto finished = system_clock::now();
    attempt.ok = result.ok;
    attempt.status_code = result.status_code;
    attempt.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
    attempt.response_excerpt = result.response_excerpt;
    attempt.error = result.ok ? "" : result.error;

    std::string status = "PENDING";
    std::string next;
    if (cancel) {
        status = "CANCELLED";
    } else if (result.ok) {
        status = "DELIVERED";
    } else if (!result.retry) {
        status = "FAILED";
    } else {
        const auto at = finished + Backoff(message.attempts + 1, settings_);
        auto created = core::ParseIsoUtc(message.created_at);
        if (created && at > *created + settings_.max_age) {
            status = "FAILED";
            attempt.error += " (given up: still failing after " + std::to_string(settings_.max_age.count()) + " h)";
        } else {
            next = core::IsoUtc(at);
        }
    }
    auto recorded = store_.RecordOutboxAttempt(message.id, owner_, attempt, status, next);
    if (!recorded) {
        spdlog::error("outbox: attempt on message {} not recorded: {}", message.id, recorded.error().message);
        return;
    }
    ++pass.attempted;
    if (result.ok) ++pass.delivered;
    if (!cancel && message.channel == "webhook" && message.endpoint_id) {
        NoteEndpointOutcome(*message.endpoint_id, result.ok, attempt.error, finished);
    }
}

void OutboxWorker::NoteEndpointOutcome(int64_t endpoint_id, bool ok, const std::string& error,
                                       system_clock::time_point now) {
    auto endpoint = store_.RecordEndpointOutcome(endpoint_id, ok, core::IsoUtc(now));
    if (!endpoint) {
        spdlog::error("outbox: endpoint {} outcome not recorded: {}", endpoint_id, endpoint.error().message);
        return;
    }
    if (ok || endpoint->consecutive_failures < settings_.disable_after_failures) return;
    auto since = core::ParseIsoUtc(endpoint->failing_since);
    if (!since || now - *since < settings_.disable_after) return;
    const std::string reason = "every delivery failed since " + endpoint->failing_since + " (" +
                               std::to_string(endpoint->consecutive_failures) +
                               " attempts in a row; last error: " + error + ")";
    auto disabled = store_.DisableFailingEndpoint(endpoint_id, reason, core::IsoUtc(now));
    if (!disabled || !*disabled) return;
    spdlog::warn("outbox: webhook endpoint {} disabled: {}", endpoint_id, reason);
    storage::ReviewItem item;
    item.agency_id = endpoint->agency_id;
    item.reason_code = "webhook_endpoint_disabled";
    item.reason = "Webhook endpoint " + std::to_string(endpoint_id) + " (" + endpoint->url +
                  ") was disabled: " + reason + ". Fix the receiver, then enable the endpoint again.";
    auto opened = store_.OpenReview(item);
    if (!opened)
        spdlog::error("outbox: review item for endpoint {} not opened: {}", endpoint_id, opened.error().message);
}

}  // namespace haven::workers
