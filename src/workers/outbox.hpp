#pragma once
// The outbox worker (STYLE P10). Events are written by the store in the transaction of the change they report;
// this worker, on a timer:
//  1. fans out: claims PENDING events (the store's one claim mechanism) and turns each into one webhook message per
//     enabled endpoint of the agency subscribed to its type, plus the receipts the ReceiptFanOut builds, stored
//     with dedupe keys in the same transaction that marks the event DONE (a crash in between repeats nothing);
//  2. delivers: claims due messages (never one while an older PENDING message of the same subject goes to the same
//     destination, so one object's events arrive in order), hands each to its channel's sender once, records the
//     attempt, and decides: 2xx/accepted = DELIVERED; a failure the sender calls final = FAILED; otherwise PENDING
//     again after an exponential backoff (retry_base doubling, at most retry_max) until the message is max_age old
//     (72 h), then FAILED;
//  3. disables an endpoint that keeps failing: when every attempt to it has failed for `disable_after` (24 h) and
//     at least `disable_after_failures` (5) attempts failed in a row, it is disabled (its PENDING messages are
//     CANCELLED) and a needs-review item `webhook_endpoint_disabled` is opened. One success resets the count.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "net/runtime.hpp"
#include "service/outbox_channel.hpp"
#include "storage/store.hpp"

namespace haven::workers {

struct OutboxSettings {
    std::chrono::milliseconds interval{1000};                    // OUTBOX_INTERVAL_MS: time between passes
    std::chrono::hours max_age{72};                              // OUTBOX_MAX_AGE_HOURS: retried this long, then FAILED
    std::chrono::milliseconds retry_base{5000};                  // OUTBOX_RETRY_BASE_MS: first retry delay, doubling
    std::chrono::milliseconds retry_max{std::chrono::hours(1)};  // the longest delay between two attempts
    std::chrono::seconds lease{120};                             // how long a claim holds a row (> the 10 s send)
    int disable_after_failures = 5;                              // OUTBOX_DISABLE_AFTER_FAILURES
    std::chrono::seconds disable_after{std::chrono::hours(24)};  // OUTBOX_DISABLE_AFTER_SECONDS
};

/// The webhook body of an event: {"type", "timestamp", "data": the object as the API shows it + the event's data}.
/// Given by the caller (app/), which can reach the API's JSON; kNotFound when the object is gone.
using EventRenderer = std::function<core::Result<std::string>(storage::Store&, const storage::OutboxEvent&)>;

/// The key that orders one object's messages: "tx:<id>" for anything about a transaction (ids are shared by
/// every kind), else "<subject_kind>:<subject_id>".
std::string SubjectKey(const storage::OutboxEvent& event);

class OutboxWorker {
  public:
    OutboxWorker(net::Runtime& runtime, storage::Store& store, EventRenderer render, OutboxSettings settings);
    ~OutboxWorker();
    /// The sender of a channel ("webhook", "email", "sms"). Set before Start().
    void SetSender(const std::string& channel, std::shared_ptr<service::ChannelSender> sender);
    /// The receipts an event fans out into besides webhooks. Set before Start().
    void SetReceiptFanOut(service::ReceiptFanOut fan_out);
    void Start();
    void Stop();

    struct Pass {
        int fanned_out = 0;  // events marked DONE
        int attempted = 0;   // delivery attempts made
        int delivered = 0;
    };
    /// One pass (what the timer runs): fan out, then deliver what is due.
    Pass RunOnce();

    /// The delay after attempt number `attempts`: retry_base * 2^(attempts - 1), at most retry_max.
    static std::chrono::milliseconds Backoff(int64_t attempts, const OutboxSettings& settings);

  private:
    void Schedule();
    int FanOut(std::chrono::system_clock::time_point now);
    void Deliver(const storage::OutboxMessage& message, Pass& pass);
    void NoteEndpointOutcome(int64_t endpoint_id, bool ok, const std::string& error,
                             std::chrono::system_clock::time_point now);
    storage::Claim ClaimAt(std::chrono::system_clock::time_point now, int limit) const;

    net::Runtime& runtime_;
    storage::Store& store_;
    EventRenderer render_;
    OutboxSettings settings_;
    std::map<std::string, std::shared_ptr<service::ChannelSender>> senders_;
    service::ReceiptFanOut receipts_;
    std::string owner_;
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace haven::workers
