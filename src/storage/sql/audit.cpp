// The audit log: who did what, with which outcome.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<void> SqlStore::InsertAudit(const core::AuditEntry& entry) {
    return Done(
        Run("INSERT INTO audit_log (agency_id, actor_user_id, actor, action, target, request_id, outcome, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {OptInt(entry.agency_id), OptInt(entry.actor_user_id), entry.actor, entry.action, entry.target,
             entry.request_id, entry.outcome, NowIso8601()}));
}

Result<int64_t> SqlStore::CountAudit(const std::string& action, const std::string& outcome_prefix) {
    return One<int64_t>(RunRead("SELECT COUNT(*) FROM audit_log WHERE action = ? AND outcome LIKE ? ESCAPE '\\'",
                                {action, LikePrefix(outcome_prefix)}),
                        ReadInt, "count");
}

}  // namespace haven::storage
