// Alerts when money stops flowing (workers/alerts): the evidence for each condition, per agency, and the alert
// items themselves (needs-review items whose reason_code starts with "alert_"; opened with OpenReview).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

Store::AlertEvidence ReadEvidence(const SqlRow& row) {
    RowReader r(row);
    Store::AlertEvidence e;
    e.agency_id = r.Int();
    e.count = r.Int();
    e.since = r.Text();
    return e;
}

}  // namespace

Result<std::vector<Store::AlertEvidence>> SqlStore::PushesWithoutCallback(const std::string& since,
                                                                          const std::string& accepted_before) {
    // A callback that arrived at or after a push was created proves the agency's callback URL was reachable then,
    // so only the pushes after the agency's latest callback count: the alert clears as soon as one arrives.
    return Many<AlertEvidence>(
        RunRead("SELECT t.agency_id, COUNT(*), MIN(t.created_at) FROM stk_transactions t "
                "WHERE t.checkout_request_id IS NOT NULL AND t.created_at > ? AND t.created_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM stk_events e WHERE e.transaction_id = t.id AND e.kind = 'callback') "
                "AND NOT EXISTS (SELECT 1 FROM stk_events e JOIN stk_transactions c ON c.id = e.transaction_id "
                "WHERE e.kind = 'callback' AND e.created_at >= t.created_at AND c.agency_id = t.agency_id) "
                "GROUP BY t.agency_id ORDER BY t.agency_id",
                {since, accepted_before}),
        ReadEvidence);
}

Result<std::vector<Store::AlertEvidence>> SqlStore::FailingWebhookEndpoints(const std::string& failing_before) {
    // An endpoint fails since the earlier of its failing_since and its oldest message still PENDING after an
    // attempt. Disabled endpoints are not counted: they have an item of their own (webhook_endpoint_disabled).
    return Many<AlertEvidence>(
        RunRead("SELECT f.agency_id, COUNT(*), MIN(f.since) FROM ("
                "SELECT w.agency_id AS agency_id, w.id AS id, MIN(x.since) AS since FROM webhook_endpoints w "
                "JOIN (SELECT id AS endpoint_id, failing_since AS since FROM webhook_endpoints "
                "WHERE failing_since IS NOT NULL "
                "UNION ALL SELECT endpoint_id, created_at FROM outbox_messages "
                "WHERE channel = 'webhook' AND status = 'PENDING' AND attempts > 0 AND endpoint_id IS NOT NULL) x "
                "ON x.endpoint_id = w.id "
                "WHERE w.deleted_at IS NULL AND w.enabled = 1 AND x.since <= ? GROUP BY w.agency_id, w.id) f "
                "GROUP BY f.agency_id ORDER BY f.agency_id",
                {failing_before}),
        ReadEvidence);
}

Result<std::vector<ReviewItem>> SqlStore::LatestAlerts(std::optional<int64_t> agency_id, bool open_only) {
    std::string sql =
        Cat({"SELECT ", kReviewCols,
             " FROM review_items r WHERE substr(r.reason_code, 1, 6) = 'alert_' AND r.agency_id IS NOT NULL"});
    SqlParams params;
    AndIf(sql, params, " AND r.agency_id = ?", agency_id);
    if (open_only) {
        sql += " AND r.status = 'open'";
    } else {
        sql +=
            " AND r.id = (SELECT MAX(n.id) FROM review_items n WHERE n.agency_id = r.agency_id "
            "AND n.reason_code = r.reason_code)";
    }
    // One agency's open alerts are a handful; every agency's newest ones are at most two per agency.
    sql += " ORDER BY r.id DESC LIMIT ?";
    params.emplace_back(agency_id ? int64_t{kMaxListLimit} : int64_t{1000000});
    return Many<ReviewItem>(RunRead(sql, params), ReadReview);
}

Result<bool> SqlStore::HasOutboxEvent(const std::string& type, const std::string& subject_kind, int64_t subject_id) {
    auto res = RunRead("SELECT COUNT(*) FROM outbox_events WHERE subject_kind = ? AND subject_id = ? AND type = ?",
                       {subject_kind, subject_id, type});
    if (!res) return Fail(res.error());
    return !res->rows.empty() && RowReader(res->rows.front()).Int() > 0;
}

}  // namespace haven::storage
