#pragma once
// Webhooks as the API shows them: the JSON of an event's body (what the outbox worker sends), a transaction's
// notifications (its detail view), and the event types an endpoint may subscribe to.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/models.hpp"
#include "storage/store.hpp"

namespace haven::api {

/// Every event type, in the order the API lists them.
const std::vector<std::string>& WebhookEventTypes();

/// The transaction as GET /api/v1/mpesa/transactions/{id} shows it, without its timeline, review items and
/// notifications (transaction_routes.cpp).
core::Result<nlohmann::json> TransactionObjectJson(storage::Store& store, int64_t agency_id, int64_t id,
                                                   core::TxKind kind);

/// The webhook body of an event (Standard Webhooks shape): {"type", "timestamp" (the event's time, ISO-8601 UTC),
/// "data": the object as the API shows it (a transaction, a review item) with the event's own data added}.
core::Result<std::string> WebhookEventBody(storage::Store& store, const storage::OutboxEvent& event);

/// [{channel, recipient (masked), status, attempts, lastError, deliveredAt}] of the events about a transaction.
core::Result<nlohmann::json> NotificationsJson(storage::Store& store, int64_t agency_id, int64_t transaction_id);

}  // namespace haven::api
