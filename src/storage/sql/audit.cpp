// The audit log: who did what, with which outcome. Append-only: InsertAudit is its only write (the
// triggers of migration 011 refuse UPDATE and DELETE on both backends).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

Store::AuditRecord ReadAudit(const SqlRow& row) {
    RowReader r(row);
    Store::AuditRecord out;
    out.id = r.Int();
    out.entry.agency_id = r.OptInt();
    out.entry.actor_user_id = r.OptInt();
    out.entry.actor = r.Text();
    out.entry.action = r.Text();
    out.entry.target = r.Text();
    out.entry.request_id = r.Text();
    out.entry.outcome = r.Text();
    out.entry.detail = r.Text();
    out.at = r.Text();
    return out;
}

}  // namespace

Result<void> SqlStore::InsertAudit(const core::AuditEntry& entry) {
    return Done(
        Run("INSERT INTO audit_log (agency_id, actor_user_id, actor, action, target, request_id, outcome, detail, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {OptInt(entry.agency_id), OptInt(entry.actor_user_id), entry.actor, entry.action, entry.target,
             entry.request_id, entry.outcome, OptText(entry.detail), NowIso8601()}));
}

Result<int64_t> SqlStore::CountAudit(const std::string& action, const std::string& outcome_prefix) {
    return One<int64_t>(RunRead("SELECT COUNT(*) FROM audit_log WHERE action = ? AND outcome LIKE ? ESCAPE '\\'",
                                {action, LikePrefix(outcome_prefix)}),
                        ReadInt, "count");
}

Result<std::vector<Store::AuditRecord>> SqlStore::ListAudit(const AuditFilter& filter) {
    std::string sql = Cat({"SELECT ", kAuditCols, " FROM audit_log WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND actor = ?", filter.actor);
    AndIf(sql, params, " AND action = ?", filter.action);
    if (filter.action_prefix) {
        sql += " AND action LIKE ? ESCAPE '\\'";
        params.emplace_back(LikePrefix(*filter.action_prefix));
    }
    AndIf(sql, params, " AND target = ?", filter.target);
    if (filter.outcome_prefix) {
        sql += " AND outcome LIKE ? ESCAPE '\\'";
        params.emplace_back(LikePrefix(*filter.outcome_prefix));
    }
    AndIf(sql, params, " AND at >= ?", filter.from);
    AndIf(sql, params, " AND at < ?", filter.to);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
    return Many<AuditRecord>(RunRead(sql, params), ReadAudit);
}

}  // namespace haven::storage
