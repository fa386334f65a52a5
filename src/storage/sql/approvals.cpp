// Maker-checker: an agency's approval settings and the payouts/reversals held for a second admin.
#include "core/payout_limit.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kApprovalCols =
    "id, agency_id, kind, maker_user_id, maker_email, amount, phone_number, type, request, status, checker_user_id, "
    "checker_email, reason, transaction_id, outcome, created_at, expires_at, decided_at";

Approval ReadApproval(const SqlRow& row) {
    RowReader r(row);
    Approval a;
    a.id = r.Int();
    a.agency_id = r.Int();
    a.kind = r.Text();
    a.maker_user_id = r.Int();
    a.maker_email = r.Text();
    a.amount = r.Int();
    a.phone_number = r.Text();
    a.type = r.Text();
    a.request = r.Text();
    a.status = r.Text();
    a.checker_user_id = r.OptInt();
    a.checker_email = r.Text();
    a.reason = r.Text();
    a.transaction_id = r.OptInt();
    a.outcome = r.Text();
    a.created_at = r.Text();
    a.expires_at = r.Text();
    a.decided_at = r.Text();
    return a;
}

AgencySettings ReadSettings(const SqlRow& row) {
    RowReader r(row);
    AgencySettings s;
    s.approval_threshold = r.OptInt();
    s.daily_payout_limit = r.OptInt();
    s.approval_expiry_seconds = r.Int();
    return s;
}

constexpr const char* kSettingsCols = "approval_threshold, daily_payout_limit, approval_expiry_seconds";

}  // namespace

Result<AgencySettings> SqlStore::FindAgencySettings(int64_t agency_id) {
    return One<AgencySettings>(RunRead(Cat({"SELECT ", kSettingsCols, " FROM agencies WHERE id = ?"}), {agency_id}),
                               ReadSettings, "agency");
}

Result<AgencySettings> SqlStore::UpdateAgencySettings(int64_t agency_id, const AgencySettings& settings) {
    return One<AgencySettings>(
        Run(Cat({"UPDATE agencies SET approval_threshold = ?, daily_payout_limit = ?, approval_expiry_seconds = ? "
                 "WHERE id = ? RETURNING ",
                 kSettingsCols}),
            {OptInt(settings.approval_threshold), OptInt(settings.daily_payout_limit), settings.approval_expiry_seconds,
             agency_id}),
        ReadSettings, "agency");
}

Result<Approval> SqlStore::InsertApproval(const Approval& a) {
    const bool postgres = db_->Backend() == "postgres";
    return InTransaction<Approval>([&](SqlConnection& c) -> Result<Approval> {
        // A held payout is money promised: it counts against today's limit from now on.
        if (a.kind == "b2c") {
            if (auto held = HoldDailyPayoutLimit(c, postgres, a.agency_id, a.amount); !held) return Fail(held.error());
        }
        return One<Approval>(
            c.Run(Cat({"INSERT INTO approvals (agency_id, kind, maker_user_id, maker_email, amount, phone_number, "
                       "type, request, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, "
                       "?) RETURNING ",
                       kApprovalCols}),
                  {a.agency_id, a.kind, a.maker_user_id, a.maker_email, a.amount, a.phone_number, a.type, a.request,
                   a.created_at.empty() ? NowIso8601() : a.created_at, a.expires_at}),
            ReadApproval, "approval");
    });
}

Result<Approval> SqlStore::FindApproval(int64_t agency_id, int64_t id) {
    return One<Approval>(
        RunRead(Cat({"SELECT ", kApprovalCols, " FROM approvals WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadApproval, "approval");
}

Result<std::vector<Approval>> SqlStore::ListApprovals(const ApprovalFilter& filter) {
    std::string sql = Cat({"SELECT ", kApprovalCols, " FROM approvals WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND status = ?", filter.status);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
    return Many<Approval>(RunRead(sql, params), ReadApproval);
}

Result<std::pair<bool, Approval>> SqlStore::DecideApproval(int64_t agency_id, int64_t id,
                                                           const ApprovalDecision& decision) {
    // The one guarded UPDATE (ApplyOnce): only a row still pending and not yet expired moves, so of two
    // approvers at once exactly one wins, and an expired request can never be sent.
    return ApplyOnce<Approval>(
        Pooled(),
        {Cat({"UPDATE approvals SET status = ?, checker_user_id = ?, checker_email = ?, reason = ?, decided_at = ? "
              "WHERE agency_id = ? AND id = ? AND status = 'pending' AND expires_at > ? RETURNING ",
              kApprovalCols}),
         {decision.status, decision.checker_user_id, decision.checker_email, OptText(decision.reason), decision.now,
          agency_id, id, decision.now}},
        {Cat({"SELECT ", kApprovalCols, " FROM approvals WHERE agency_id = ? AND id = ?"}), {agency_id, id}},
        ReadApproval, "approval");
}

Result<void> SqlStore::SetApprovalResult(int64_t id, std::optional<int64_t> transaction_id,
                                         const std::string& outcome) {
    return Done(Run("UPDATE approvals SET transaction_id = ?, outcome = ? WHERE id = ?",
                    {OptInt(transaction_id), OptText(outcome), id}));
}

Result<std::vector<Approval>> SqlStore::ExpireDueApprovals(const std::string& now, int limit) {
    // The claim statement of background_work.cpp: PostgreSQL skips rows an approver is deciding right now
    // (the approver's guarded UPDATE then settles it); SQLite has one writer at a time.
    const bool postgres = db_->Backend() == "postgres";
    return Many<Approval>(
        Run(Cat({"UPDATE approvals SET status = 'expired', decided_at = ? WHERE id IN (SELECT id FROM approvals "
                 "WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
                 postgres ? " FOR UPDATE SKIP LOCKED" : "", ") AND status = 'pending' RETURNING ", kApprovalCols}),
            {now, now, int64_t{std::clamp(limit, 1, kMaxListLimit)}}),
        ReadApproval);
}

namespace {

/// What counts against the daily payout limit in [from, to): the agency's B2C transfers created then that did not
/// fail, and its B2C approvals still pending at `now`. Parameters: agency, from, to, agency, now.
constexpr const char* kPayoutCountedSql =
    "SELECT (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE agency_id = ? AND kind = 'b2c' "
    "AND status <> 'FAILED' AND created_at >= ? AND created_at < ?) + "
    "(SELECT COALESCE(SUM(amount), 0) FROM approvals WHERE agency_id = ? AND kind = 'b2c' "
    "AND status = 'pending' AND expires_at > ?)";

}  // namespace

Result<int64_t> SqlStore::PayoutTotal(int64_t agency_id, const std::string& from, const std::string& to,
                                      const std::string& now) {
    return One<int64_t>(RunRead(kPayoutCountedSql, {agency_id, from, to, agency_id, now}), ReadInt, "total");
}

Result<void> HoldDailyPayoutLimit(SqlConnection& c, bool postgres, int64_t agency_id, int64_t amount) {
    // SQLite: the unit's BEGIN IMMEDIATE (or the group-commit writer) already serialises writers. PostgreSQL: the
    // agency's row is locked, so payouts of one agency on any node queue up here and each sees the ones before it.
    // NO KEY: the foreign-key checks of everything else the agency writes meanwhile (pushes, callbacks) take KEY
    // SHARE on that row, which this lock does not block.
    auto limit =
        c.Run(Cat({"SELECT daily_payout_limit FROM agencies WHERE id = ?", postgres ? " FOR NO KEY UPDATE" : ""}),
              {agency_id});
    if (!limit) return Fail(limit.error());
    if (limit->rows.empty()) return Fail(ErrorCode::kNotFound, "agency not found");
    const std::optional<int64_t> cap = RowReader(limit->rows.front()).OptInt();
    if (!cap) return {};
    const auto now = std::chrono::system_clock::now();
    const auto day = core::NairobiDayBounds(now);
    auto counted = One<int64_t>(c.Run(kPayoutCountedSql, {agency_id, day.from, day.to, agency_id, core::IsoUtc(now)}),
                                ReadInt, "total");
    if (!counted) return Fail(counted.error());
    return core::CheckDailyPayout(cap, *counted, amount);
}

}  // namespace haven::storage
