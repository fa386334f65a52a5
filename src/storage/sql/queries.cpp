// Account balance checks and transaction status queries: async questions to M-Pesa, answered once.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<BalanceCheck> SqlStore::InsertBalanceCheck(const BalanceCheck& check) {
    std::string now = NowIso8601();
    return One<BalanceCheck>(
        Run(Cat({"INSERT INTO balance_checks (agency_id, user_id, status, accounts, created_at, updated_at) "
                 "VALUES (?, ?, 'PENDING', '[]', ?, ?) RETURNING ",
                 kBalanceCols}),
            {check.agency_id, OptInt(check.user_id), now, now}),
        ReadBalance, "balance check");
}

Result<BalanceCheck> SqlStore::SetBalanceCheckIds(int64_t id, const std::string& originator_conversation_id,
                                                  const std::string& conversation_id) {
    return SetQueryIds(Pooled(), kBalanceTable, id, originator_conversation_id, conversation_id);
}

Result<std::pair<bool, BalanceCheck>> SqlStore::ApplyBalanceOutcome(const std::string& conversation_id,
                                                                    const QueryOutcome& outcome) {
    return ApplyQueryOutcome(Pooled(), kBalanceTable, conversation_id, outcome);
}

Result<BalanceCheck> SqlStore::FindLatestBalanceCheck(int64_t agency_id, bool successful_only) {
    return One<BalanceCheck>(
        RunRead(Cat({"SELECT ", kBalanceCols, " FROM balance_checks WHERE agency_id = ?",
                     successful_only ? " AND status = 'SUCCESS'" : "", " ORDER BY id DESC LIMIT 1"}),
                {agency_id}),
        ReadBalance, "balance check");
}

Result<StatusQuery> SqlStore::InsertStatusQuery(const StatusQuery& q) {
    std::string now = NowIso8601();
    return One<StatusQuery>(
        Run(Cat({"INSERT INTO status_queries (agency_id, user_id, transaction_id, receipt, "
                 "originator_conversation_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?) "
                 "RETURNING ",
                 kStatusQueryCols}),
            {q.agency_id, OptInt(q.user_id), OptInt(q.transaction_id), OptText(q.receipt),
             OptText(q.originator_conversation_id), now, now}),
        ReadStatusQuery, "status query");
}

Result<StatusQuery> SqlStore::SetStatusQueryIds(int64_t id, const std::string& originator_conversation_id,
                                                const std::string& conversation_id) {
    return SetQueryIds(Pooled(), kStatusQueryTable, id, originator_conversation_id, conversation_id);
}

Result<std::pair<bool, StatusQuery>> SqlStore::ApplyStatusOutcome(const std::string& conversation_id,
                                                                  const QueryOutcome& outcome) {
    return ApplyQueryOutcome(Pooled(), kStatusQueryTable, conversation_id, outcome);
}

}  // namespace haven::storage
