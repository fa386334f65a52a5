// The outbox (STYLE P10, migration 020): events written in the unit of work of the change they report, and
// what fans them out and delivers them.
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

}  // namespace

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
    auto res = Run("UPDATE outbox_events SET status = 'DONE', last_error = 'skipped: seeded history' "
                   "WHERE status = 'PENDING' AND id > ? AND id <= ?",
                   {after_id, up_to_id});
    if (!res) return Fail(res.error());
    return res->affected;
}

}  // namespace haven::storage
