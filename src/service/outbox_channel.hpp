#pragma once
// What the outbox needs from each way of telling someone: a sender per channel (webhook, email, SMS), and the
// receipts an event fans out into besides webhooks. The outbox worker (workers/outbox) stores, claims, retries
// and records attempts; a sender only tries once and says what happened.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "storage/outbox_records.hpp"

namespace haven::storage {
class Store;
}

namespace haven::service {

/// One attempt's outcome, as recorded in outbox_attempts.
struct DeliveryResult {
    bool ok = false;
    /// false: retrying cannot help (a configuration error such as a refused API key, an invalid recipient):
    /// the message is FAILED at once, with the error shown.
    bool retry = true;
    std::optional<int64_t> status_code;  // HTTP or SMTP status, when there was one
    std::string response_excerpt;        // at most 500 bytes of the answer
    std::string error;                   // empty when ok
};

/// Delivers one message once. Blocking: called on a worker thread, never on the I/O thread.
class ChannelSender {
  public:
    virtual ~ChannelSender() = default;
    virtual DeliveryResult Deliver(const storage::OutboxMessage& message) = 0;
};

/// The messages besides webhooks that an event fans out into (receipts by email and SMS): built, not stored;
/// the outbox stores them (with dedupe keys) in the unit of work that marks the event fanned out.
using ReceiptFanOut =
    std::function<core::Result<std::vector<storage::OutboxMessage>>(storage::Store&, const storage::OutboxEvent&)>;

}  // namespace haven::service
