#pragma once
// Records of the outbox (migration 020): events written with the state change that caused them, the messages
// they fan out into (webhooks, receipts by email and SMS), every delivery attempt, and webhook endpoints.
// Times are ISO-8601 UTC text, as everywhere in the store.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace haven::storage {

/// Something others must hear of, written in the same transaction as the change that caused it.
struct OutboxEvent {
    int64_t id = 0;
    std::optional<int64_t> agency_id;  // none: install-wide (a system alert of no agency)
    std::string type;                  // payment.succeeded | payment.failed | c2b.received | payout.succeeded |
                                       // payout.failed | reversal.succeeded | reversal.failed |
                                       // transaction.needs_review | system.alert
    std::string subject_kind;          // stk | transfer | c2b | review | alert
    int64_t subject_id = 0;
    std::string data = "{}";         // JSON the event adds to its object
    std::string status = "PENDING";  // PENDING until fanned out, then DONE
    int64_t attempts = 0;
    std::string created_at;
};

/// One message to one destination.
struct OutboxMessage {
    int64_t id = 0;
    int64_t event_id = 0;
    std::optional<int64_t> agency_id;
    std::string channel;                 // webhook | email | sms
    std::optional<int64_t> endpoint_id;  // webhook
    std::string recipient;               // email address or MSISDN (email, sms)
    std::string subject_key;             // "stk:42": one object's messages to one destination go out in order
    std::string dedupe_key;              // "<event>:<channel>:<endpoint or recipient>"
    std::string payload;                 // the webhook body, or the rendered mail/SMS as JSON
    std::string status = "PENDING";      // PENDING | DELIVERED | FAILED | CANCELLED
    int64_t attempts = 0;
    std::string last_error;
    std::string next_attempt_at;
    std::string delivered_at;
    std::string created_at;
    std::string updated_at;
};

/// One attempt to deliver a message, as the sender saw it.
struct OutboxAttempt {
    int64_t id = 0;
    int64_t message_id = 0;
    std::string attempted_at;
    bool ok = false;
    std::optional<int64_t> status_code;  // HTTP or SMTP status, when there was one
    int64_t duration_ms = 0;
    std::string response_excerpt;  // at most 500 bytes of the answer
    std::string error;
};

/// Where an agency wants its events. Secrets are sealed (service/sealed); never returned after creation.
struct WebhookEndpoint {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string url;
    std::string description;
    std::vector<std::string> event_types;  // empty: every type
    std::string secret_sealed;
    std::string previous_secret_sealed;  // empty when none
    std::string previous_secret_until;   // until then the previous secret signs too
    bool enabled = true;
    std::string disabled_reason;  // set when the gateway disabled it after failing too long
    std::string disabled_at;
    int64_t consecutive_failures = 0;
    std::string failing_since;
    std::string deleted_at;
    std::string created_at;
    std::string updated_at;
};

}  // namespace haven::storage
