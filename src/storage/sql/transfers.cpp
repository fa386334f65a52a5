// B2C payments (refunds, payouts...) and reversals, and the transaction id space every kind shares.
#include "core/refund_rules.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<core::TxKind> SqlStore::FindTransactionKind(int64_t agency_id, int64_t id) {
    auto kind = One<core::TxKind>(
        RunRead("SELECT kind FROM transaction_ids WHERE id = ?", {id}),
        [](const SqlRow& row) { return StoredKind(RowReader(row).Text()); }, "transaction");
    if (!kind) return kind;
    // The agency check: another agency's transaction does not exist for the caller.
    const char* sql = *kind == core::TxKind::kStk   ? "SELECT id FROM stk_transactions WHERE agency_id = ? AND id = ?"
                      : *kind == core::TxKind::kC2b ? "SELECT id FROM c2b_payments WHERE agency_id = ? AND id = ?"
                                                    : "SELECT id FROM transfers WHERE agency_id = ? AND id = ?";
    auto found = RunRead(sql, {agency_id, id});
    if (!found) return Fail(found.error());
    if (found->rows.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return kind;
}

Result<Transfer> SqlStore::InsertTransfer(const Transfer& t, const std::optional<IdempotencyRef>& key) {
    if (t.kind == core::TxKind::kStk || t.kind == core::TxKind::kC2b) {
        return Fail(ErrorCode::kValidation, "unknown transfer kind");
    }
    if (t.kind == core::TxKind::kReversal && !t.original_transaction_id) {
        return Fail(ErrorCode::kValidation, "a reversal needs the original transaction");
    }
    const bool postgres = db_->Backend() == "postgres";
    return InTransaction<Transfer>([&](SqlConnection& c) -> Result<Transfer> {
        // Every B2C payout (a refund, a salary, an approved request, the refund of an unmatched C2B payment) is
        // weighed against the agency's daily payout limit in this same unit: two at once cannot both pass it.
        if (t.kind == core::TxKind::kB2c) {
            if (auto held = HoldDailyPayoutLimit(c, postgres, t.agency_id, t.amount); !held) return Fail(held.error());
        }
        // SQLite: BEGIN IMMEDIATE already serialises writers. PostgreSQL: lock the original row so
        // concurrent refunds of one payment queue up behind each other and see each other's rows.
        std::string original_receipt = t.original_receipt;
        std::string phone = t.phone_number;
        if (t.original_transaction_id) {
            auto original = One<core::StkTransaction>(
                c.Run(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND id = ?",
                           postgres ? " FOR UPDATE" : ""}),
                      {t.agency_id, *t.original_transaction_id}),
                ReadStk, "original transaction");
            if (!original) return Fail(original.error());
            auto used = c.Run(
                "SELECT kind, COALESCE(SUM(amount), 0), COUNT(*) FROM transfers "
                "WHERE original_transaction_id = ? AND status <> 'FAILED' GROUP BY kind",
                {*t.original_transaction_id});
            if (!used) return Fail(used.error());
            core::MoneySentBack sent_back;
            for (const SqlRow& row : used->rows) {
                RowReader r(row);
                const core::TxKind kind = StoredKind(r.Text());
                int64_t sum = r.Int();
                int64_t count = r.Int();
                if (kind == core::TxKind::kReversal)
                    sent_back.reversals += count;
                else
                    sent_back.refunded += sum;
            }
            // The rule itself is core's; the store holds the lock and reads the facts.
            if (auto allowed = core::CheckSendBack(t.kind, *original, sent_back, t.amount); !allowed) {
                return Fail(allowed.error());
            }
            if (t.kind == core::TxKind::kReversal) {
                original_receipt = original->mpesa_receipt_number;
                phone = original->phone_number;
            }
        }
        std::string now = NowIso8601();
        const std::string kind(core::ToString(t.kind));
        auto id = One<int64_t>(
            c.Run("INSERT INTO transaction_ids (kind, created_at) VALUES (?, ?) RETURNING id", {kind, now}), ReadInt,
            "transaction id");
        if (!id) return Fail(id.error());
        if (auto linked = LinkIdempotencyKey(c, key, *id); !linked) return Fail(linked.error());
        return One<Transfer>(
            c.Run(Cat({"INSERT INTO transfers (id, agency_id, user_id, kind, type, command_id, phone_number, amount, "
                       "remarks, occasion, reason, original_transaction_id, original_receipt, "
                       "originator_conversation_id, conversation_id, status, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) RETURNING ",
                       kTransferCols}),
                  {*id, t.agency_id, OptInt(t.user_id), kind, t.type, t.command_id, phone, t.amount, t.remarks,
                   OptText(t.occasion), OptText(t.reason), OptInt(t.original_transaction_id), OptText(original_receipt),
                   OptText(t.originator_conversation_id), OptText(t.conversation_id), now, now}),
            ReadTransfer, "transfer");
    });
}

Result<Transfer> SqlStore::SetTransferDarajaIds(int64_t id, const std::string& originator_conversation_id,
                                                const std::string& conversation_id) {
    return One<Transfer>(
        Run(Cat({"UPDATE transfers SET originator_conversation_id = COALESCE(originator_conversation_id, ?), "
                 "conversation_id = ?, updated_at = ? WHERE id = ? RETURNING ",
                 kTransferCols}),
            {OptText(originator_conversation_id), OptText(conversation_id), NowIso8601(), id}),
        ReadTransfer, "transfer");
}

Result<Transfer> SqlStore::MarkTransferRejected(int64_t id, const std::string& result_desc) {
    return InTransaction<Transfer>([&](SqlConnection& c) -> Result<Transfer> {
        auto marked = MarkRejected(std::bind_front(&SqlConnection::Run, &c), kTransferTable, id, result_desc);
        if (!marked) return Fail(marked.error());
        if (marked->first) {
            const Transfer& t = marked->second;
            if (auto e = EmitOutboxEvent(c, t.agency_id, TransferEventType(t.kind, t.status), "transfer", t.id); !e) {
                return Fail(e.error());
            }
        }
        return std::move(marked->second);
    });
}

Result<Transfer> SqlStore::FindTransfer(int64_t agency_id, int64_t id) {
    return One<Transfer>(
        RunRead(Cat({"SELECT ", kTransferCols, " FROM transfers WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadTransfer, "transaction");
}

Result<Transfer> SqlStore::FindTransferByConversationId(const std::string& conversation_id) {
    // On the writer, like FindStkByCheckoutIdAnyAgency: a Result can race SetTransferDarajaIds.
    if (conversation_id.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return One<Transfer>(Run(Cat({"SELECT ", kTransferCols,
                                  " FROM transfers WHERE conversation_id = ? OR originator_conversation_id = ? "
                                  "ORDER BY id LIMIT 1"}),
                             {conversation_id, conversation_id}),
                         ReadTransfer, "transaction");
}

Result<std::vector<Transfer>> SqlStore::ListTransfers(const TransferFilter& filter) {
    std::string sql = Cat({"SELECT ", kTransferCols, " FROM transfers WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    if (filter.kind) {
        sql += " AND kind = ?";
        params.emplace_back(std::string(core::ToString(*filter.kind)));
    }
    AndIf(sql, params, " AND status = ?", StatusParam(filter.status));
    FinishListQuery(sql, params, filter);
    return Many<Transfer>(RunRead(sql, params), ReadTransfer);
}

Result<std::vector<TransferTotals>> SqlStore::LinkedTransferTotals(int64_t agency_id,
                                                                   const std::vector<int64_t>& original_ids) {
    std::vector<TransferTotals> out;
    out.reserve(original_ids.size());
    for (int64_t id : original_ids) out.push_back(TransferTotals{.original_id = id});
    // Failed transfers count for nothing, so SQL leaves them out. "+agency_id" keeps SQLite's planner (no
    // statistics) on transfers_original instead of walking every transfer of the agency.
    for (size_t first = 0; first < original_ids.size(); first += kTotalsChunk) {
        const size_t n = std::min(kTotalsChunk, original_ids.size() - first);
        std::string sql =
            "SELECT original_transaction_id, kind, status, COALESCE(SUM(amount), 0) FROM transfers "
            "WHERE +agency_id = ? AND status <> 'FAILED' AND original_transaction_id IN ";
        SqlParams params{agency_id};
        AppendIdList(sql, params, original_ids, first, n);
        sql += " GROUP BY original_transaction_id, kind, status";
        auto res = RunRead(sql, params);
        if (!res) return Fail(res.error());
        for (const SqlRow& row : res->rows) {
            RowReader r(row);
            const int64_t original_id = r.Int();
            const core::TxKind kind = StoredKind(r.Text());
            const core::TxStatus status = StoredStatus(r.Text());
            const int64_t sum = r.Int();
            // Ids may repeat in the request: every entry for this id gets the totals.
            for (size_t i = first; i < first + n; ++i) {
                if (original_ids[i] != original_id) continue;
                if (kind == core::TxKind::kReversal && status == core::TxStatus::kSuccess) out[i].reversed = true;
                if (kind == core::TxKind::kB2c) out[i].refunded += sum;
            }
        }
    }
    return out;
}

Result<TransferApplyResult> SqlStore::ApplyTransferOutcome(int64_t id, const TransferOutcome& outcome) {
    if (outcome.status == core::TxStatus::kPending) {
        return Fail(ErrorCode::kValidation, "a transfer outcome must be SUCCESS or FAILED");
    }
    return InTransaction<TransferApplyResult>([&](SqlConnection& c) -> Result<TransferApplyResult> {
        auto applied = ApplyOnce<Transfer>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE transfers SET status = ?, result_code = ?, result_desc = ?, "
                  "mpesa_receipt_number = ?, updated_at = ?, completed_at = ?, claimed_by = NULL, claimed_until = NULL "
                  "WHERE id = ? AND status = 'PENDING' RETURNING ",
                  kTransferCols}),
             {std::string(core::ToString(outcome.status)), OptText(outcome.result_code), OptText(outcome.result_desc),
              OptText(outcome.mpesa_receipt_number), NowIso8601(), NowIso8601(), id}},
            {Cat({"SELECT ", kTransferCols, " FROM transfers WHERE id = ?"}), {id}}, ReadTransfer, "transaction");
        if (!applied) return Fail(applied.error());
        if (applied->first) {
            const Transfer& t = applied->second;
            if (auto e = EmitOutboxEvent(c, t.agency_id, TransferEventType(t.kind, t.status), "transfer", t.id); !e) {
                return Fail(e.error());
            }
        }
        return TransferApplyResult{applied->first, std::move(applied->second)};
    });
}

Result<void> SqlStore::AddTransferEvent(int64_t transfer_id, const std::string& kind, const std::string& payload) {
    return Done(Run("INSERT INTO transfer_events (transfer_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    {transfer_id, kind, payload, NowIso8601()}));
}

Result<std::vector<core::TxEvent>> SqlStore::ListTransferEvents(int64_t transfer_id) {
    return Many<core::TxEvent>(
        RunRead("SELECT id, kind, payload, created_at FROM transfer_events WHERE transfer_id = ? ORDER BY id",
                {transfer_id}),
        ReadEvent);
}

}  // namespace haven::storage
