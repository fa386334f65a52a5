// The outbox (STYLE P10, migration 020): events written in the unit of work of the change they report, and
// what fans them out and delivers them.
#include <nlohmann/json.hpp>

#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kEventCols = "id, agency_id, type, subject_kind, subject_id, data, status, attempts, created_at";

OutboxEvent ReadOutboxEvent(const SqlRow& row) {
    RowReader r(row);
    OutboxEvent e;
    e.id = r.Int();
    e.agency_id = r.OptInt();
    e.type = r.Text();
    e.subject_kind = r.Text();
    e.subject_id = r.Int();
    e.data = r.Text();
    e.status = r.Text();
    e.attempts = r.Int();
    e.created_at = r.Text();
    return e;
}

constexpr const char* kMessageCols =
    "id, event_id, agency_id, channel, endpoint_id, recipient, subject_key, dedupe_key, payload, status, attempts, "
    "last_error, next_attempt_at, delivered_at, created_at, updated_at";

OutboxMessage ReadOutboxMessage(const SqlRow& row) {
    RowReader r(row);
    OutboxMessage m;
    m.id = r.Int();
    m.event_id = r.Int();
    m.agency_id = r.OptInt();
    m.channel = r.Text();
    m.endpoint_id = r.OptInt();
    m.recipient = r.Text();
    m.subject_key = r.Text();
    m.dedupe_key = r.Text();
    m.payload = r.Text();
    m.status = r.Text();
    m.attempts = r.Int();
    m.last_error = r.Text();
    m.next_attempt_at = r.Text();
    m.delivered_at = r.Text();
    m.created_at = r.Text();
    m.updated_at = r.Text();
    return m;
}

constexpr const char* kAttemptCols =
    "id, message_id, attempted_at, ok, status_code, duration_ms, response_excerpt, error";

OutboxAttempt ReadOutboxAttempt(const SqlRow& row) {
    RowReader r(row);
    OutboxAttempt a;
    a.id = r.Int();
    a.message_id = r.Int();
    a.attempted_at = r.Text();
    a.ok = r.Int() != 0;
    a.status_code = r.OptInt();
    a.duration_ms = r.Int();
    a.response_excerpt = r.Text();
    a.error = r.Text();
    return a;
}

constexpr const char* kEndpointCols =
    "id, agency_id, url, description, event_types, secret_sealed, previous_secret_sealed, previous_secret_until, "
    "enabled, disabled_reason, disabled_at, consecutive_failures, failing_since, deleted_at, created_at, updated_at";

WebhookEndpoint ReadEndpoint(const SqlRow& row) {
    RowReader r(row);
    WebhookEndpoint e;
    e.id = r.Int();
    e.agency_id = r.Int();
    e.url = r.Text();
    e.description = r.Text();
    auto types = nlohmann::json::parse(r.Text(), nullptr, false);
    if (types.is_array()) {
        for (const auto& t : types) {
            if (t.is_string()) e.event_types.push_back(t.get<std::string>());
        }
    }
    e.secret_sealed = r.Text();
    e.previous_secret_sealed = r.Text();
    e.previous_secret_until = r.Text();
    e.enabled = r.Int() != 0;
    e.disabled_reason = r.Text();
    e.disabled_at = r.Text();
    e.consecutive_failures = r.Int();
    e.failing_since = r.Text();
    e.deleted_at = r.Text();
    e.created_at = r.Text();
    e.updated_at = r.Text();
    return e;
}

/// At most `max` bytes of `text` as valid UTF-8 without NUL (PostgreSQL's TEXT takes nothing else): an
/// invalid byte becomes '?', a sequence cut by the limit is dropped.
std::string Excerpt(const std::string& text, size_t max) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool valid = n > 0 && i + n <= text.size();
        for (size_t k = 1; valid && k < n; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (!valid) n = 1;
        if (out.size() + n > max) break;
        if (!valid || c == 0) {
            out.push_back('?');
        } else {
            out.append(text, i, n);
        }
        i += n;
    }
    return out;
}

std::string TypesJson(const std::vector<std::string>& types) { return nlohmann::json(types).dump(); }

/// An older PENDING message of the same subject to the same destination holds this one back.
constexpr const char* kInOrder =
    " AND NOT EXISTS (SELECT 1 FROM outbox_messages older WHERE older.status = 'PENDING' "
    "AND older.subject_key = due.subject_key AND older.channel = due.channel "
    "AND COALESCE(older.endpoint_id, 0) = COALESCE(due.endpoint_id, 0) AND older.recipient = due.recipient "
    "AND older.id < due.id)";

}  // namespace

Result<void> EmitOutboxEvent(SqlConnection& c, std::optional<int64_t> agency_id, std::string_view type,
                             std::string_view subject_kind, int64_t subject_id, const std::string& data) {
    return Done(
        c.Run("INSERT INTO outbox_events (agency_id, type, subject_kind, subject_id, data, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?)",
              {OptInt(agency_id), std::string(type), std::string(subject_kind), subject_id,
               data.empty() ? std::string("{}") : data, NowIso8601()}));
}

std::string_view StkEventType(core::TxStatus status) {
    return status == core::TxStatus::kSuccess ? "payment.succeeded" : "payment.failed";
}

std::string_view TransferEventType(core::TxKind kind, core::TxStatus status) {
    const bool ok = status == core::TxStatus::kSuccess;
    if (kind == core::TxKind::kReversal) return ok ? "reversal.succeeded" : "reversal.failed";
    return ok ? "payout.succeeded" : "payout.failed";
}

Result<OutboxEvent> SqlStore::InsertOutboxEvent(const OutboxEvent& event) {
    return One<OutboxEvent>(
        Run(Cat({"INSERT INTO outbox_events (agency_id, type, subject_kind, subject_id, data, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
                 kEventCols}),
            {OptInt(event.agency_id), event.type, event.subject_kind, event.subject_id,
             event.data.empty() ? std::string("{}") : event.data,
             event.created_at.empty() ? NowIso8601() : event.created_at}),
        ReadOutboxEvent, "outbox event");
}

Result<int64_t> SqlStore::LatestOutboxEventId() {
    auto res = RunRead("SELECT COALESCE(MAX(id), 0) FROM outbox_events", {});
    if (!res) return Fail(res.error());
    if (res->rows.empty()) return int64_t{0};
    return RowReader(res->rows.front()).Int();
}

Result<int64_t> SqlStore::SkipOutboxEvents(int64_t after_id, int64_t up_to_id) {
    auto res =
        Run("UPDATE outbox_events SET status = 'DONE', last_error = 'skipped: seeded history' "
            "WHERE status = 'PENDING' AND id > ? AND id <= ?",
            {after_id, up_to_id});
    if (!res) return Fail(res.error());
    return res->affected;
}

Result<OutboxEvent> SqlStore::FindOutboxEvent(int64_t id) {
    return One<OutboxEvent>(RunRead(Cat({"SELECT ", kEventCols, " FROM outbox_events WHERE id = ?"}), {id}),
                            ReadOutboxEvent, "outbox event");
}

Result<std::vector<OutboxEvent>> SqlStore::ClaimDueOutboxEvents(const Claim& claim) {
    auto rows = Many<OutboxEvent>(
        Run(ClaimSql("outbox_events", kEventCols, db_->Backend() == "postgres"), ClaimParams(claim)), ReadOutboxEvent);
    if (rows) std::sort(rows->begin(), rows->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return rows;
}

Result<int64_t> SqlStore::FanOutOutboxEvent(int64_t event_id, const std::string& owner,
                                            const std::vector<OutboxMessage>& messages) {
    return InTransaction<int64_t>([&](SqlConnection& c) -> Result<int64_t> {
        // Marking the event first is the guard: a worker whose claim ran out (and was taken) writes nothing.
        auto marked = c.Run(
            "UPDATE outbox_events SET status = 'DONE', attempts = attempts + 1, last_error = NULL, "
            "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND status = 'PENDING' "
            "AND claimed_by = ?",
            {event_id, owner});
        if (!marked) return Fail(marked.error());
        if (marked->affected == 0) return Fail(ErrorCode::kConflict, "this event is no longer claimed by this worker");
        const std::string now = NowIso8601();
        int64_t inserted = 0;
        for (const OutboxMessage& m : messages) {
            auto res = c.Run(
                "INSERT INTO outbox_messages (event_id, agency_id, channel, endpoint_id, recipient, "
                "subject_key, dedupe_key, payload, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
                {event_id, OptInt(m.agency_id), m.channel, OptInt(m.endpoint_id), m.recipient, m.subject_key,
                 m.dedupe_key, m.payload, now, now});
            if (!res) return Fail(res.error());
            inserted += res->affected;
        }
        return inserted;
    });
}

Result<void> SqlStore::RetryOutboxEvent(int64_t event_id, const std::string& owner, const std::string& error,
                                        const std::string& next_attempt_at) {
    return Done(
        Run("UPDATE outbox_events SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?",
            {OptText(error), next_attempt_at, event_id, owner}));
}

Result<std::vector<OutboxMessage>> SqlStore::ClaimDueOutboxMessages(const Claim& claim) {
    auto rows = Many<OutboxMessage>(
        Run(ClaimSql("outbox_messages", kMessageCols, db_->Backend() == "postgres", kInOrder), ClaimParams(claim)),
        ReadOutboxMessage);
    if (rows) std::sort(rows->begin(), rows->end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return rows;
}

Result<OutboxMessage> SqlStore::RecordOutboxAttempt(int64_t message_id, const std::string& owner,
                                                    const OutboxAttempt& attempt, const std::string& status,
                                                    const std::string& next_attempt_at) {
    return InTransaction<OutboxMessage>([&](SqlConnection& c) -> Result<OutboxMessage> {
        const std::string now = NowIso8601();
        auto updated = c.Run(Cat({"UPDATE outbox_messages SET status = ?, attempts = attempts + 1, last_error = ?, "
                                  "next_attempt_at = ?, delivered_at = ?, claimed_by = NULL, claimed_until = NULL, "
                                  "updated_at = ? WHERE id = ? AND status = 'PENDING' AND claimed_by = ? RETURNING ",
                                  kMessageCols}),
                             {status, OptText(attempt.ok ? std::string() : attempt.error), OptText(next_attempt_at),
                              status == "DELIVERED" ? SqlParam{now} : SqlParam{}, now, message_id, owner});
        if (!updated) return Fail(updated.error());
        if (updated->rows.empty())
            return Fail(ErrorCode::kConflict, "this message is no longer claimed by this worker");
        auto ins = c.Run(
            "INSERT INTO outbox_attempts (message_id, attempted_at, ok, status_code, duration_ms, "
            "response_excerpt, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
            {message_id, attempt.attempted_at.empty() ? now : attempt.attempted_at, int64_t{attempt.ok ? 1 : 0},
             OptInt(attempt.status_code), attempt.duration_ms, Excerpt(attempt.response_excerpt, 500),
             Excerpt(attempt.error, 2000)});
        if (!ins) return Fail(ins.error());
        return ReadOutboxMessage(updated->rows.front());
    });
}

Result<OutboxMessage> SqlStore::FindOutboxMessage(int64_t agency_id, int64_t id) {
    return One<OutboxMessage>(
        RunRead(Cat({"SELECT ", kMessageCols, " FROM outbox_messages WHERE agency_id = ? AND id = ?"}),
                {agency_id, id}),
        ReadOutboxMessage, "message");
}

Result<std::vector<OutboxMessage>> SqlStore::ListOutboxMessages(const OutboxMessageFilter& filter) {
    std::string sql = Cat({"SELECT ", kMessageCols, " FROM outbox_messages WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND endpoint_id = ?", filter.endpoint_id);
    AndIf(sql, params, " AND status = ?", filter.status);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
    return Many<OutboxMessage>(RunRead(sql, params), ReadOutboxMessage);
}

Result<std::vector<OutboxMessage>> SqlStore::ListSubjectMessages(int64_t agency_id, const std::string& subject_key) {
    return Many<OutboxMessage>(
        RunRead(Cat({"SELECT ", kMessageCols,
                     " FROM outbox_messages WHERE agency_id = ? AND subject_key = ? ORDER BY id LIMIT 200"}),
                {agency_id, subject_key}),
        ReadOutboxMessage);
}

Result<std::vector<OutboxAttempt>> SqlStore::ListOutboxAttempts(int64_t message_id) {
    return Many<OutboxAttempt>(
        RunRead(Cat({"SELECT ", kAttemptCols, " FROM outbox_attempts WHERE message_id = ? ORDER BY id"}), {message_id}),
        ReadOutboxAttempt);
}

Result<OutboxMessage> SqlStore::ResendOutboxMessage(int64_t agency_id, int64_t id) {
    const std::string now = NowIso8601();
    return One<OutboxMessage>(
        Run(Cat({"UPDATE outbox_messages SET status = 'PENDING', next_attempt_at = ?, claimed_by = NULL, "
                 "claimed_until = NULL, updated_at = ? WHERE agency_id = ? AND id = ? RETURNING ",
                 kMessageCols}),
            {now, now, agency_id, id}),
        ReadOutboxMessage, "message");
}

Result<WebhookEndpoint> SqlStore::InsertWebhookEndpoint(const WebhookEndpoint& e) {
    const std::string now = NowIso8601();
    return One<WebhookEndpoint>(
        Run(Cat({"INSERT INTO webhook_endpoints (agency_id, url, description, event_types, secret_sealed, enabled, "
                 "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                 kEndpointCols}),
            {e.agency_id, e.url, e.description, TypesJson(e.event_types), e.secret_sealed, int64_t{e.enabled ? 1 : 0},
             now, now}),
        ReadEndpoint, "webhook endpoint");
}

Result<WebhookEndpoint> SqlStore::FindWebhookEndpoint(int64_t agency_id, int64_t id) {
    return One<WebhookEndpoint>(
        RunRead(Cat({"SELECT ", kEndpointCols,
                     " FROM webhook_endpoints WHERE agency_id = ? AND id = ? AND deleted_at IS NULL"}),
                {agency_id, id}),
        ReadEndpoint, "webhook endpoint");
}

Result<WebhookEndpoint> SqlStore::FindWebhookEndpointAny(int64_t id) {
    return One<WebhookEndpoint>(RunRead(Cat({"SELECT ", kEndpointCols, " FROM webhook_endpoints WHERE id = ?"}), {id}),
                                ReadEndpoint, "webhook endpoint");
}

Result<std::vector<WebhookEndpoint>> SqlStore::ListWebhookEndpoints(int64_t agency_id) {
    return Many<WebhookEndpoint>(
        RunRead(Cat({"SELECT ", kEndpointCols,
                     " FROM webhook_endpoints WHERE agency_id = ? AND deleted_at IS NULL ORDER BY id"}),
                {agency_id}),
        ReadEndpoint);
}

Result<WebhookEndpoint> SqlStore::UpdateWebhookEndpoint(const WebhookEndpoint& e) {
    return One<WebhookEndpoint>(
        Run(Cat({"UPDATE webhook_endpoints SET url = ?, description = ?, event_types = ?, secret_sealed = ?, "
                 "previous_secret_sealed = ?, previous_secret_until = ?, enabled = ?, disabled_reason = ?, "
                 "disabled_at = ?, consecutive_failures = ?, failing_since = ?, updated_at = ? "
                 "WHERE agency_id = ? AND id = ? AND deleted_at IS NULL RETURNING ",
                 kEndpointCols}),
            {e.url, e.description, TypesJson(e.event_types), e.secret_sealed, OptText(e.previous_secret_sealed),
             OptText(e.previous_secret_until), int64_t{e.enabled ? 1 : 0}, OptText(e.disabled_reason),
             OptText(e.disabled_at), e.consecutive_failures, OptText(e.failing_since), NowIso8601(), e.agency_id,
             e.id}),
        ReadEndpoint, "webhook endpoint");
}

Result<WebhookEndpoint> SqlStore::DeleteWebhookEndpoint(int64_t agency_id, int64_t id) {
    return InTransaction<WebhookEndpoint>([&](SqlConnection& c) -> Result<WebhookEndpoint> {
        const std::string now = NowIso8601();
        auto deleted =
            One<WebhookEndpoint>(c.Run(Cat({"UPDATE webhook_endpoints SET deleted_at = ?, enabled = 0, updated_at = ? "
                                            "WHERE agency_id = ? AND id = ? AND deleted_at IS NULL RETURNING ",
                                            kEndpointCols}),
                                       {now, now, agency_id, id}),
                                 ReadEndpoint, "webhook endpoint");
        if (!deleted) return deleted;
        auto cancelled = c.Run(
            "UPDATE outbox_messages SET status = 'CANCELLED', last_error = ?, updated_at = ? "
            "WHERE endpoint_id = ? AND status = 'PENDING'",
            {std::string("the endpoint was deleted"), now, id});
        if (!cancelled) return Fail(cancelled.error());
        return deleted;
    });
}

Result<WebhookEndpoint> SqlStore::RecordEndpointOutcome(int64_t id, bool ok, const std::string& now) {
    if (ok) {
        return One<WebhookEndpoint>(
            Run(Cat({"UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = ? "
                     "RETURNING ",
                     kEndpointCols}),
                {id}),
            ReadEndpoint, "webhook endpoint");
    }
    return One<WebhookEndpoint>(
        Run(Cat({"UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, "
                 "failing_since = COALESCE(failing_since, ?) WHERE id = ? RETURNING ",
                 kEndpointCols}),
            {now, id}),
        ReadEndpoint, "webhook endpoint");
}

Result<bool> SqlStore::DisableFailingEndpoint(int64_t id, const std::string& reason, const std::string& now) {
    return InTransaction<bool>([&](SqlConnection& c) -> Result<bool> {
        auto disabled = c.Run(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?, disabled_at = ?, "
            "updated_at = ? WHERE id = ? AND enabled = 1 AND deleted_at IS NULL",
            {reason, now, now, id});
        if (!disabled) return Fail(disabled.error());
        if (disabled->affected == 0) return false;
        auto cancelled = c.Run(
            "UPDATE outbox_messages SET status = 'CANCELLED', last_error = ?, updated_at = ? "
            "WHERE endpoint_id = ? AND status = 'PENDING' AND claimed_by IS NULL",
            {std::string("the endpoint was disabled: ") + reason, now, id});
        if (!cancelled) return Fail(cancelled.error());
        return true;
    });
}

}  // namespace haven::storage
