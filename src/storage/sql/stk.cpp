// STK Push transactions, their outcome (applied once, with the lease payment) and their timeline.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<core::StkTransaction> SqlStore::InsertStk(const core::StkTransaction& tx,
                                                 const std::optional<IdempotencyRef>& key) {
    // created_at may be given (imports, tests); otherwise it is now.
    std::string created = tx.created_at.empty() ? NowIso8601() : tx.created_at;
    return InTransaction<core::StkTransaction>([&](SqlConnection& c) -> Result<core::StkTransaction> {
        // The id comes from the space shared by every kind of transaction (B2C, reversals).
        auto id = One<int64_t>(c.Run("INSERT INTO transaction_ids (kind, created_at) VALUES (?, ?) RETURNING id",
                                     {std::string(core::ToString(core::TxKind::kStk)), created}),
                               ReadInt, "transaction id");
        if (!id) return Fail(id.error());
        if (auto linked = LinkIdempotencyKey(c, key, *id); !linked) return Fail(linked.error());
        return One<core::StkTransaction>(
            c.Run(Cat({"INSERT INTO stk_transactions (id, agency_id, lease_id, user_id, phone_number, amount, "
                       "account_reference, transaction_desc, merchant_request_id, checkout_request_id, status, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) RETURNING ",
                       kStkCols}),
                  {*id, tx.agency_id, OptInt(tx.lease_id), OptInt(tx.user_id), tx.phone_number, tx.amount,
                   tx.account_reference, tx.transaction_desc, OptText(tx.merchant_request_id),
                   OptText(tx.checkout_request_id), created, created}),
            ReadStk, "transaction");
    });
}

Result<core::StkTransaction> SqlStore::SetStkDarajaIds(int64_t id, const std::string& merchant_request_id,
                                                       const std::string& checkout_request_id) {
    return One<core::StkTransaction>(
        Run(Cat({"UPDATE stk_transactions SET merchant_request_id = ?, checkout_request_id = ?, updated_at = ? "
                 "WHERE id = ? RETURNING ",
                 kStkCols}),
            {OptText(merchant_request_id), OptText(checkout_request_id), NowIso8601(), id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::MarkStkRejected(int64_t id, const std::string& result_desc) {
    // Already final: left untouched, returned as it is (and nothing is emitted).
    return InTransaction<core::StkTransaction>([&](SqlConnection& c) -> Result<core::StkTransaction> {
        auto marked = MarkRejected(std::bind_front(&SqlConnection::Run, &c), kStkTable, id, result_desc);
        if (!marked) return Fail(marked.error());
        if (marked->first) {
            const core::StkTransaction& tx = marked->second;
            if (auto e = EmitOutboxEvent(c, tx.agency_id, StkEventType(tx.status), "stk", tx.id); !e) {
                return Fail(e.error());
            }
        }
        return std::move(marked->second);
    });
}

Result<core::StkTransaction> SqlStore::FindStk(int64_t agency_id, int64_t id) {
    return One<core::StkTransaction>(
        RunRead(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::FindStkByCheckoutId(int64_t agency_id, const std::string& checkout_id) {
    return One<core::StkTransaction>(
        RunRead(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND checkout_request_id = ?"}),
                {agency_id, checkout_id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::FindStkByCheckoutIdAnyAgency(const std::string& checkout_id) {
    // On the writer, not a reader: a callback can race the commit of the ids it names (SetStkDarajaIds), and
    // queueing behind the writer's lock, as before the reader pool, keeps that window as small as it was.
    return One<core::StkTransaction>(
        Run(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE checkout_request_id = ?"}), {checkout_id}), ReadStk,
        "transaction");
}

Result<std::vector<core::StkTransaction>> SqlStore::ListStk(const StkFilter& filter) {
    std::string sql = Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND status = ?", StatusParam(filter.status));
    AndIf(sql, params, " AND lease_id = ?", filter.lease_id);
    FinishListQuery(sql, params, filter);
    return Many<core::StkTransaction>(RunRead(sql, params), ReadStk);
}

Result<std::vector<core::StkTransaction>> SqlStore::ListStkAwaitingIds(const std::string& phone_number, int64_t amount,
                                                                       const std::string& from, const std::string& to) {
    return Many<core::StkTransaction>(
        Run(Cat({"SELECT ", kStkCols,
                 " FROM stk_transactions WHERE status = 'PENDING' AND checkout_request_id IS NULL "
                 "AND phone_number = ? AND amount = ? AND created_at >= ? AND created_at < ? ORDER BY id LIMIT 10"}),
            {phone_number, amount, from, to}),
        ReadStk);
}

Result<core::Payment> InsertStkPayment(SqlConnection& c, const core::StkTransaction& tx, const std::string& receipt,
                                       const std::string& now) {
    return One<core::Payment>(
        c.Run(Cat({"INSERT INTO payments (agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, "
                   "phone_number, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
                   kPaymentCols}),
              {tx.agency_id, *tx.lease_id, tx.id, tx.paid_amount.value_or(tx.amount), OptText(receipt), tx.phone_number,
               now}),
        ReadPayment, "payment");
}

Result<ApplyResult> SqlStore::ApplyStkOutcome(const std::string& checkout_id, const StkOutcome& outcome) {
    if (outcome.status == core::TxStatus::kPending) {
        return Fail(ErrorCode::kValidation, "an STK outcome must be SUCCESS or FAILED");
    }
    if (checkout_id.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return InTransaction<ApplyResult>([&](SqlConnection& c) -> Result<ApplyResult> {
        // The conditional UPDATE is the guard: only one caller can move the row out of PENDING
        // (PostgreSQL re-checks the WHERE clause after waiting on the row lock).
        std::string now = NowIso8601();
        auto applied = ApplyOnce<core::StkTransaction>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE stk_transactions SET status = ?, result_code = ?, result_desc = ?, "
                  "mpesa_receipt_number = ?, transaction_date = ?, paid_amount = ?, updated_at = ?, completed_at = ?, "
                  "claimed_by = NULL, claimed_until = NULL "
                  "WHERE checkout_request_id = ? AND status = 'PENDING' RETURNING ",
                  kStkCols}),
             {std::string(core::ToString(outcome.status)), outcome.result_code, OptText(outcome.result_desc),
              OptText(outcome.mpesa_receipt_number), OptText(outcome.transaction_date),
              outcome.status == core::TxStatus::kSuccess ? OptInt(outcome.paid_amount) : SqlParam{}, now, now,
              checkout_id}},
            {Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE checkout_request_id = ?"}), {checkout_id}},
            ReadStk, "transaction");
        if (!applied) return Fail(applied.error());
        ApplyResult result;
        result.applied = applied->first;
        result.transaction = std::move(applied->second);
        if (!result.applied) return result;
        const core::StkTransaction& tx = result.transaction;
        if (outcome.status == core::TxStatus::kSuccess && tx.lease_id) {
            auto payment = InsertStkPayment(c, tx, outcome.mpesa_receipt_number, now);
            if (!payment) return Fail(payment.error());
            result.payment = std::move(*payment);
        }
        if (auto e = EmitOutboxEvent(c, tx.agency_id, StkEventType(tx.status), "stk", tx.id); !e) {
            return Fail(e.error());
        }
        return result;
    });
}

Result<void> SqlStore::AddStkEvent(int64_t transaction_id, const std::string& kind, const std::string& payload) {
    return Done(Run("INSERT INTO stk_events (transaction_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    {transaction_id, kind, payload, NowIso8601()}));
}

Result<std::vector<core::TxEvent>> SqlStore::ListStkEvents(int64_t transaction_id) {
    return Many<core::TxEvent>(
        RunRead("SELECT id, kind, payload, created_at FROM stk_events WHERE transaction_id = ? ORDER BY id",
                {transaction_id}),
        ReadEvent);
}

}  // namespace haven::storage
