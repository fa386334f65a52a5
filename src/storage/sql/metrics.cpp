// What GET /metrics reads at a scrape: the background queues' backlog and the pool's connections. Counts only: a
// scrape never claims or changes a row.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<Store::BacklogCounts> SqlStore::CountBacklog(const std::string& now, const std::string& first_due_before) {
    // "Due" is the claim statement's rule (ClaimSql in background_work.cpp), leases aside: a row claimed by a
    // process that is querying it now is still waiting to be settled.
    static const std::string kSql =
        "SELECT "
        "(SELECT COUNT(*) FROM stk_transactions WHERE status = 'PENDING' AND "
        "((next_attempt_at IS NULL AND created_at <= ?) OR next_attempt_at <= ?)), "
        "(SELECT COUNT(*) FROM transfers WHERE status = 'PENDING' AND "
        "((next_attempt_at IS NULL AND created_at <= ?) OR next_attempt_at <= ?)), "
        "(SELECT COUNT(*) FROM review_items WHERE status = 'open'), "
        "(SELECT COUNT(*) FROM outbox_events WHERE status = 'PENDING'), "
        "(SELECT COUNT(*) FROM outbox_messages WHERE status = 'PENDING')";
    return One<BacklogCounts>(
        RunRead(kSql, {first_due_before, now, first_due_before, now}),
        [](const SqlRow& row) {
            RowReader r(row);
            BacklogCounts c;
            c.stk_due = r.Int();
            c.transfers_due = r.Int();
            c.review_open = r.Int();
            c.outbox_events = r.Int();
            c.outbox_messages = r.Int();
            return c;
        },
        "backlog");
}

Store::PoolUse SqlStore::DatabasePoolUse() { return db_->Use(); }

}  // namespace haven::storage
