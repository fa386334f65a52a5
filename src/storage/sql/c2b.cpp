// C2B (paybill and till) payments: recorded once per TransID, matched to a lease or queued as unmatched, assigned by
// staff or refunded; and the lease keys C2B matching looks up (leases.account_key, leases.phone_hash).
#include "core/account_ref.hpp"
#include "core/hex.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kC2bCols =
    "id, agency_id, trans_id, transaction_type, business_shortcode, bill_ref_number, invoice_number, amount, msisdn, "
    "payer_name, api_version, trans_time, completed_at, org_account_balance, third_party_trans_id, lease_id, "
    "matched_by, status, refund_transfer_id, origin, inbound_id, created_at, updated_at";

C2bPayment ReadC2b(const SqlRow& row) {
    RowReader r(row);
    C2bPayment p;
    p.id = r.Int();
    p.agency_id = r.Int();
    p.trans_id = r.Text();
    p.transaction_type = r.Text();
    p.business_shortcode = r.Text();
    p.bill_ref_number = r.Text();
    p.invoice_number = r.Text();
    p.amount = r.Int();
    p.msisdn = r.Text();
    p.payer_name = r.Text();
    p.api_version = static_cast<int>(r.Int());
    p.trans_time = r.Text();
    p.completed_at = r.Text();
    p.org_account_balance = r.Text();
    p.third_party_trans_id = r.Text();
    p.lease_id = r.OptInt();
    p.matched_by = r.Text();
    p.status = r.Text();
    p.refund_transfer_id = r.OptInt();
    p.origin = r.Text();
    p.inbound_id = r.OptInt();
    p.created_at = r.Text();
    p.updated_at = r.Text();
    return p;
}

Result<C2bPayment> FindByTransId(SqlConnection& c, const std::string& trans_id) {
    return One<C2bPayment>(c.Run(Cat({"SELECT ", kC2bCols, " FROM c2b_payments WHERE trans_id = ?"}), {trans_id}),
                           ReadC2b, "C2B payment");
}

/// The lease's payment row for a matched C2B payment (source c2b, paid at its completion time).
Result<core::Payment> InsertLeasePayment(SqlConnection& c, const C2bPayment& p, int64_t lease_id) {
    return One<core::Payment>(
        c.Run(Cat({"INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, "
                   "phone_number, payer_name, paid_at) VALUES (?, ?, ?, 'c2b', ?, ?, ?, ?, ?) RETURNING ",
                   kPaymentCols}),
              {p.agency_id, lease_id, p.id, p.amount, p.trans_id, p.msisdn, p.payer_name, p.completed_at}),
        ReadPayment, "payment");
}

/// Resolves the payment's open unmatched item (there is at most one).
Result<void> ResolveUnmatchedItem(SqlConnection& c, int64_t agency_id, int64_t id, const std::string& resolution,
                                  const std::string& resolved_by) {
    return Done(
        c.Run("UPDATE review_items SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? "
              "WHERE agency_id = ? AND transaction_id = ? AND reason_code = 'c2b_unmatched' AND status = 'open'",
              {resolution, resolved_by, NowIso8601(), agency_id, id}));
}

LeaseMatch ReadMatch(const Result<SqlResult>& res) {
    LeaseMatch m;
    for (const SqlRow& row : res->rows) {
        RowReader r(row);
        const int64_t id = r.Int();
        if (!m.lease_id) m.lease_id = id;
        ++m.count;
    }
    return m;
}

}  // namespace

Result<Store::C2bRecorded> SqlStore::InsertC2bPayment(const C2bPayment& p) {
    if (p.trans_id.empty()) return Fail(ErrorCode::kValidation, "a C2B payment needs its TransID");
    auto attempt = InTransaction<C2bRecorded>([&](SqlConnection& c) -> Result<C2bRecorded> {
        auto existing = FindByTransId(c, p.trans_id);
        if (existing) return C2bRecorded{false, std::move(*existing), std::nullopt};
        if (existing.error().code != ErrorCode::kNotFound) return Fail(existing.error());
        const std::string now = NowIso8601();
        auto id =
            One<int64_t>(c.Run("INSERT INTO transaction_ids (kind, created_at) VALUES ('c2b', ?) RETURNING id", {now}),
                         ReadInt, "transaction id");
        if (!id) return Fail(id.error());
        const bool matched = p.lease_id.has_value();
        auto row = One<C2bPayment>(
            c.Run(Cat({"INSERT INTO c2b_payments (id, agency_id, trans_id, transaction_type, business_shortcode, "
                       "bill_ref_number, invoice_number, amount, msisdn, payer_name, api_version, trans_time, "
                       "completed_at, org_account_balance, third_party_trans_id, lease_id, matched_by, status, origin, "
                       "inbound_id, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                       kC2bCols}),
                  {*id,
                   p.agency_id,
                   p.trans_id,
                   p.transaction_type,
                   p.business_shortcode,
                   p.bill_ref_number,
                   p.invoice_number,
                   p.amount,
                   p.msisdn,
                   p.payer_name,
                   int64_t{p.api_version},
                   p.trans_time,
                   p.completed_at,
                   OptText(p.org_account_balance),
                   OptText(p.third_party_trans_id),
                   OptInt(p.lease_id),
                   matched ? OptText(p.matched_by) : SqlParam{},
                   std::string(matched ? "matched" : "unmatched"),
                   p.origin.empty() ? std::string("confirmation") : p.origin,
                   OptInt(p.inbound_id),
                   now,
                   now}),
            ReadC2b, "C2B payment");
        if (!row) return Fail(row.error());
        C2bRecorded out{true, std::move(*row), std::nullopt};
        if (matched) {
            auto payment = InsertLeasePayment(c, out.payment, *p.lease_id);
            if (!payment) return Fail(payment.error());
            out.lease_payment = std::move(*payment);
        }
        if (auto e = EmitOutboxEvent(c, out.payment.agency_id, "c2b.received", "c2b", out.payment.id); !e) {
            return Fail(e.error());
        }
        return out;
    });
    // Two deliveries of one TransID at once (PostgreSQL): the unique index lets one in; the other reads it.
    if (!attempt && attempt.error().code == ErrorCode::kConflict) {
        auto existing = InTransaction<C2bPayment>([&](SqlConnection& c) { return FindByTransId(c, p.trans_id); });
        if (existing) return C2bRecorded{false, std::move(*existing), std::nullopt};
    }
    return attempt;
}

Result<std::optional<int64_t>> SqlStore::FindC2bRouteAgency(const std::string& shortcode,
                                                            const std::string& global_shortcode,
                                                            const std::string& global_till) {
    if (shortcode.empty()) return std::optional<int64_t>();
    auto own =
        Run("SELECT agency_id FROM mpesa_accounts WHERE shortcode = ? OR till_number = ? ORDER BY agency_id "
            "LIMIT 1",
            {shortcode, shortcode});
    if (!own) return Fail(own.error());
    if (!own->rows.empty()) return std::optional<int64_t>(ReadInt(own->rows.front()));
    if (shortcode != global_shortcode && shortcode != global_till) return std::optional<int64_t>();
    auto global = Run(
        "SELECT MIN(a.id) FROM agencies a WHERE NOT EXISTS (SELECT 1 FROM mpesa_accounts m WHERE m.agency_id = a.id "
        "AND (m.shortcode IS NOT NULL OR m.till_number IS NOT NULL))",
        {});
    if (!global) return Fail(global.error());
    if (global->rows.empty() || !global->rows.front().front()) return std::optional<int64_t>();
    return std::optional<int64_t>(ReadInt(global->rows.front()));
}

Result<LeaseMatch> SqlStore::MatchLeaseByAccountKey(int64_t agency_id, const std::string& key) {
    if (key.empty()) return LeaseMatch{};
    auto res =
        Run("SELECT id FROM leases WHERE agency_id = ? AND account_key = ? AND ended_at IS NULL ORDER BY id "
            "LIMIT 2",
            {agency_id, key});
    if (!res) return Fail(res.error());
    return ReadMatch(res);
}

Result<LeaseMatch> SqlStore::MatchLeaseByPhoneHash(int64_t agency_id, const std::string& phone_hash) {
    if (phone_hash.empty()) return LeaseMatch{};
    auto res =
        Run("SELECT id FROM leases WHERE agency_id = ? AND phone_hash = ? AND ended_at IS NULL ORDER BY id "
            "LIMIT 2",
            {agency_id, phone_hash});
    if (!res) return Fail(res.error());
    return ReadMatch(res);
}

Result<C2bPayment> SqlStore::FindC2bPayment(int64_t agency_id, int64_t id) {
    return One<C2bPayment>(
        RunRead(Cat({"SELECT ", kC2bCols, " FROM c2b_payments WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadC2b, "C2B payment");
}

Result<std::vector<C2bPayment>> SqlStore::ListC2bPayments(const C2bFilter& filter) {
    std::string sql = Cat({"SELECT ", kC2bCols, " FROM c2b_payments WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND status = ?", filter.status);
    AndIf(sql, params, " AND lease_id = ?", filter.lease_id);
    AndIf(sql, params, " AND completed_at >= ?", filter.from);
    AndIf(sql, params, " AND completed_at < ?", filter.to);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
    return Many<C2bPayment>(RunRead(sql, params), ReadC2b);
}

Result<Store::C2bRecorded> SqlStore::AssignC2bPayment(int64_t agency_id, int64_t id, int64_t lease_id,
                                                      const std::string& resolved_by) {
    return InTransaction<C2bRecorded>([&](SqlConnection& c) -> Result<C2bRecorded> {
        auto lease = One<core::Lease>(
            c.Run(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND id = ?"}), {agency_id, lease_id}),
            ReadLease, "lease");
        if (!lease) return Fail(lease.error());
        if (lease->Ended()) return Fail(ErrorCode::kConflict, "this lease has ended and takes no new payments");
        auto updated = ApplyOnce<C2bPayment>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE c2b_payments SET lease_id = ?, matched_by = 'staff', status = 'matched', updated_at = ? "
                  "WHERE agency_id = ? AND id = ? AND status = 'unmatched' RETURNING ",
                  kC2bCols}),
             {lease_id, NowIso8601(), agency_id, id}},
            {Cat({"SELECT ", kC2bCols, " FROM c2b_payments WHERE agency_id = ? AND id = ?"}), {agency_id, id}}, ReadC2b,
            "C2B payment");
        if (!updated) return Fail(updated.error());
        if (!updated->first) return Fail(ErrorCode::kConflict, "this payment is already " + updated->second.status);
        C2bRecorded out{true, std::move(updated->second), std::nullopt};
        auto payment = InsertLeasePayment(c, out.payment, lease_id);
        if (!payment) return Fail(payment.error());
        out.lease_payment = std::move(*payment);
        if (auto r =
                ResolveUnmatchedItem(c, agency_id, id, "assigned to lease " + std::to_string(lease_id), resolved_by);
            !r)
            return Fail(r.error());
        return out;
    });
}

Result<C2bPayment> SqlStore::LinkC2bRefund(int64_t agency_id, int64_t id, int64_t transfer_id,
                                           const std::string& resolved_by) {
    return InTransaction<C2bPayment>([&](SqlConnection& c) -> Result<C2bPayment> {
        auto updated = ApplyOnce<C2bPayment>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE c2b_payments SET status = 'refunded', refund_transfer_id = ?, updated_at = ? "
                  "WHERE agency_id = ? AND id = ? AND status = 'unmatched' RETURNING ",
                  kC2bCols}),
             {transfer_id, NowIso8601(), agency_id, id}},
            {Cat({"SELECT ", kC2bCols, " FROM c2b_payments WHERE agency_id = ? AND id = ?"}), {agency_id, id}}, ReadC2b,
            "C2B payment");
        if (!updated) return Fail(updated.error());
        if (!updated->first) return Fail(ErrorCode::kConflict, "this payment is already " + updated->second.status);
        if (auto r = ResolveUnmatchedItem(c, agency_id, id, "refunded by transfer " + std::to_string(transfer_id),
                                          resolved_by);
            !r)
            return Fail(r.error());
        return std::move(updated->second);
    });
}

Result<int64_t> BackfillLeaseKeysOn(SqlConnection& c) {
    auto rows = c.Run(
        "SELECT id, account_reference, phone_number FROM leases WHERE account_key IS NULL OR phone_hash IS NULL", {});
    if (!rows) return Fail(rows.error());
    int64_t n = 0;
    for (const SqlRow& row : rows->rows) {
        RowReader r(row);
        const int64_t id = r.Int();
        const std::string reference = r.Text();
        const std::string phone = r.Text();
        auto done = c.Run("UPDATE leases SET account_key = ?, phone_hash = ? WHERE id = ?",
                          {core::NormalizeAccountRef(reference), core::Sha256Hex(phone), id});
        if (!done) return Fail(done.error());
        ++n;
    }
    return n;
}

Result<int64_t> SqlStore::BackfillLeaseKeys() {
    return InTransaction<int64_t>([&](SqlConnection& c) { return BackfillLeaseKeysOn(c); });
}

}  // namespace haven::storage
