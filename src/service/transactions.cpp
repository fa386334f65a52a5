#include "service/transactions.hpp"

#include <algorithm>
#include <chrono>

#include "core/lease_key.hpp"
#include "core/phone.hpp"
#include "core/state.hpp"
#include "core/time.hpp"
#include "core/validator.hpp"
#include "service/leases.hpp"

namespace haven::service {

namespace {

constexpr int kDefaultLimit = 50;

/// "2026-11-01" or a full ISO-8601 time -> the store's "YYYY-MM-DDTHH:MM:SSZ" form. A bare date is a
/// Nairobi day (EAT, UTC+3), the business day of M-Pesa and of Kenyan rent.
std::optional<std::string> IsoBound(const std::string& raw, bool end_of_day) {
    auto t = core::ParseIsoUtc(raw);
    if (!t) return std::nullopt;
    if (raw.size() == 10) {
        *t -= std::chrono::hours(3);                   // 00:00 EAT is 21:00 UTC the day before
        if (end_of_day) *t += std::chrono::hours(24);  // "to" a date includes that whole day
    }
    return core::IsoUtc(*t);
}

/// One date bound of the query; a bad one is listed under its own name.
void ReadBound(const std::optional<std::string>& raw, const char* name, bool end_of_day, core::Validator& v,
               std::optional<std::string>& out) {
    if (!raw) return;
    out = IsoBound(*raw, end_of_day);
    if (!out) {
        v.Add(name, std::string(name) + " must be a date (" + (end_of_day ? "2026-11-30" : "2026-11-01") +
                        ") or an ISO-8601 time");
    }
}

}  // namespace

core::Result<std::vector<StkRow>> WithTotals(storage::Store& store, int64_t agency_id,
                                             std::vector<core::StkTransaction> transactions) {
    std::vector<int64_t> paid_ids;
    for (const auto& tx : transactions) {
        if (tx.status == core::TxStatus::kSuccess) paid_ids.push_back(tx.id);
    }
    std::vector<storage::TransferTotals> totals;
    if (!paid_ids.empty()) {
        auto linked = store.LinkedTransferTotals(agency_id, paid_ids);
        if (!linked) return core::Fail(linked.error());
        totals = std::move(*linked);
    }
    std::vector<StkRow> out;
    out.reserve(transactions.size());
    size_t next = 0;  // totals follow paid_ids, which follow the order of `transactions`
    for (auto& tx : transactions) {
        storage::TransferTotals none{.original_id = tx.id};
        const bool paid = tx.status == core::TxStatus::kSuccess && next < totals.size();
        out.push_back({std::move(tx), paid ? totals[next++] : none});
    }
    return out;
}

core::Result<TransactionPage> ListTransactions(storage::Store& store, const TransactionQuery& q) {
    storage::StkFilter filter;
    filter.agency_id = q.agency_id;
    filter.limit = kDefaultLimit;
    core::Validator v;
    if (q.status) {
        filter.status = core::ParseTxStatus(*q.status);
        if (!filter.status) v.Add("status", "status must be PENDING, SUCCESS or FAILED");
    }
    std::optional<core::TxKind> kind;
    if (q.kind) {
        kind = core::ParseTxKind(*q.kind);
        if (!kind) v.Add("kind", "kind must be stk, b2c, reversal or c2b");
    }
    if (q.lease_id) {
        if (auto key = v.Take(core::ParseLeaseKey(*q.lease_id))) {
            if (key->id) {
                filter.lease_id = key->id;
            } else {
                auto resolved = ResolveLease(store, q.agency_id, *key);
                // An unknown external id is the caller's to fix; a database failure is ours (500).
                if (!resolved && resolved.error().code != core::ErrorCode::kValidation) {
                    return core::Fail(resolved.error());
                }
                filter.lease_id = v.Take(std::move(resolved));
            }
        }
    }
    if (q.phone_number) {
        if (auto phone = v.Take(core::NormalizePhone(*q.phone_number))) filter.phone_number = *phone;
    }
    ReadBound(q.from, "from", false, v, filter.from);
    ReadBound(q.to, "to", true, v, filter.to);
    ReadBound(q.completed_from, "completedFrom", false, v, filter.completed_from);
    ReadBound(q.completed_to, "completedTo", true, v, filter.completed_to);
    if (q.needs_review) {
        if (*q.needs_review == "true")
            filter.needs_review = true;
        else if (*q.needs_review != "false")
            v.Add("needsReview", "needsReview must be true or false");
    }
    core::ReadPaging(q.limit, q.cursor, v, filter.limit, filter.before_id);
    if (!v.ok()) return core::Fail(v.Finish());

    std::vector<std::pair<int64_t, TransactionRow>> rows;
    if (!kind || *kind == core::TxKind::kStk) {
        auto stk = store.ListStk(filter);
        if (!stk) return core::Fail(stk.error());
        auto with_totals = WithTotals(store, filter.agency_id, std::move(*stk));
        if (!with_totals) return core::Fail(with_totals.error());
        for (auto& row : *with_totals) {
            const int64_t id = row.transaction.id;
            rows.emplace_back(id, std::move(row));
        }
    }
    // Transfers belong to no lease: a lease filter lists payments only.
    if ((!kind || (*kind != core::TxKind::kStk && *kind != core::TxKind::kC2b)) && !filter.lease_id) {
        storage::TransferFilter tf;
        tf.agency_id = filter.agency_id;
        tf.kind = kind;
        tf.status = filter.status;
        tf.phone_number = filter.phone_number;
        tf.from = filter.from;
        tf.to = filter.to;
        tf.completed_from = filter.completed_from;
        tf.completed_to = filter.completed_to;
        tf.before_id = filter.before_id;
        tf.needs_review = filter.needs_review;
        tf.limit = filter.limit;
        auto transfers = store.ListTransfers(tf);
        if (!transfers) return core::Fail(transfers.error());
        for (auto& t : *transfers) {
            const int64_t id = t.id;
            rows.emplace_back(id, std::move(t));
        }
    }
    // C2B payments all succeeded and carry no number in clear: a FAILED/PENDING or phone filter lists none.
    const bool c2b_status_ok = !filter.status || *filter.status == core::TxStatus::kSuccess;
    if ((!kind || *kind == core::TxKind::kC2b) && c2b_status_ok && !filter.phone_number) {
        storage::C2bFilter cf;
        cf.agency_id = filter.agency_id;
        cf.lease_id = filter.lease_id;
        cf.from = filter.completed_from ? filter.completed_from : filter.from;
        cf.to = filter.completed_to ? filter.completed_to : filter.to;
        if (filter.needs_review) cf.status = "unmatched";
        cf.before_id = filter.before_id;
        cf.limit = filter.limit;
        auto c2b = store.ListC2bPayments(cf);
        if (!c2b) return core::Fail(c2b.error());
        for (auto& p : *c2b) {
            const int64_t id = p.id;
            rows.emplace_back(id, std::move(p));
        }
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (static_cast<int>(rows.size()) > filter.limit) rows.resize(filter.limit);
    TransactionPage page;
    if (static_cast<int>(rows.size()) == filter.limit) page.next_cursor = rows.back().first;
    page.items.reserve(rows.size());
    std::vector<int64_t> lease_ids;
    for (auto& [id, row] : rows) {
        if (const auto* stk = std::get_if<StkRow>(&row); stk && stk->transaction.lease_id) {
            lease_ids.push_back(*stk->transaction.lease_id);
        }
        if (const auto* c2b = std::get_if<storage::C2bPayment>(&row); c2b && c2b->lease_id) {
            lease_ids.push_back(*c2b->lease_id);
        }
        page.items.push_back(std::move(row));
    }
    auto external = LeaseExternalIds(store, q.agency_id, lease_ids);
    if (!external) return core::Fail(external.error());
    page.lease_external_ids = std::move(*external);
    return page;
}

}  // namespace haven::service
