// Personal data (Kenya's Data Protection Act): what an agency holds about one phone number, its erasure, and the
// retention sweep of raw Daraja bodies. docs/personal-data.md lists every place personal data lives.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kErasedTenant = "Erased tenant";
/// References per statement when raw bodies are found by the Daraja ids they carry.
constexpr size_t kLikeChunk = 32;

/// '%text%' with LIKE wildcards escaped (ESCAPE '\').
std::string LikeContains(std::string_view text) { return "%" + LikePrefix(text); }

/// The forms a number takes in stored text: whole (254...), local (07... / 01...), and the 9 digits a
/// CheckoutRequestID ends with. Replaced in that order, so the longer forms become the placeholder.
struct NumberForms {
    std::string whole;
    std::string local;
    std::string last9;
};

NumberForms FormsOf(const std::string& phone) { return {phone, "0" + phone.substr(3), phone.substr(phone.size() - 9)}; }

/// SQL that takes every form of the number out of `column` (params: whole, placeholder, local, placeholder, last9).
std::string Scrub(const char* column) {
    return Cat({"REPLACE(REPLACE(REPLACE(", column, ", ?, ?), ?, ?), ?, '*********')"});
}

void ScrubParams(SqlParams& params, const NumberForms& n, const std::string& placeholder) {
    params.emplace_back(n.whole);
    params.emplace_back(placeholder);
    params.emplace_back(n.local);
    params.emplace_back(placeholder);
    params.emplace_back(n.last9);
}

/// Runs `UPDATE ... WHERE <id> IN (ids)` in chunks; returns the rows changed.
template <class Prefix>
Result<int64_t> UpdateIds(SqlConnection& c, const std::vector<int64_t>& ids, const char* id_column, Prefix prefix) {
    int64_t changed = 0;
    for (size_t first = 0; first < ids.size(); first += kTotalsChunk) {
        const size_t n = std::min(kTotalsChunk, ids.size() - first);
        auto [sql, params] = prefix();
        sql += Cat({" AND ", id_column, " IN "});
        AppendIdList(sql, params, ids, first, n);
        auto res = c.Run(sql, params);
        if (!res) return Fail(res.error());
        changed += res->affected;
    }
    return changed;
}

}  // namespace

Result<Store::PersonalData> SqlStore::FindPersonalData(int64_t agency_id, const std::string& phone_number) {
    PersonalData out;
    auto leases = Many<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND phone_number = ? ORDER BY id"}),
                {agency_id, phone_number}),
        ReadLease);
    if (!leases) return Fail(leases.error());
    out.leases = std::move(*leases);
    auto stk = Many<core::StkTransaction>(
        RunRead(
            Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND phone_number = ? ORDER BY id"}),
            {agency_id, phone_number}),
        ReadStk);
    if (!stk) return Fail(stk.error());
    out.transactions = std::move(*stk);
    auto payments = Many<core::Payment>(
        RunRead(Cat({"SELECT ", kPaymentCols, " FROM payments WHERE agency_id = ? AND phone_number = ? ORDER BY id"}),
                {agency_id, phone_number}),
        ReadPayment);
    if (!payments) return Fail(payments.error());
    out.payments = std::move(*payments);
    auto transfers = Many<Transfer>(
        RunRead(Cat({"SELECT ", kTransferCols, " FROM transfers WHERE agency_id = ? AND phone_number = ? ORDER BY id"}),
                {agency_id, phone_number}),
        ReadTransfer);
    if (!transfers) return Fail(transfers.error());
    out.transfers = std::move(*transfers);
    auto review = Many<ReviewItem>(
        RunRead(Cat({"SELECT ", kReviewCols,
                     " FROM review_items WHERE agency_id = ? AND transaction_id IN ("
                     "SELECT id FROM stk_transactions WHERE agency_id = ? AND phone_number = ? "
                     "UNION SELECT id FROM transfers WHERE agency_id = ? AND phone_number = ?) ORDER BY id"}),
                {agency_id, agency_id, phone_number, agency_id, phone_number}),
        ReadReview);
    if (!review) return Fail(review.error());
    out.review_items = std::move(*review);
    return out;
}

Result<Store::ErasureCounts> SqlStore::ErasePersonalData(int64_t agency_id, const std::string& phone_number,
                                                         const std::string& placeholder) {
    if (phone_number.size() < 12 || placeholder.empty()) {
        return Fail(ErrorCode::kValidation, "a normalised phone number and a placeholder are required");
    }
    const NumberForms forms = FormsOf(phone_number);
    return InTransaction<ErasureCounts>([&](SqlConnection& c) -> Result<ErasureCounts> {
        ErasureCounts counts;
        // A pending row must keep its number: its callback (or the reconciler's query) still has to find it.
        auto pending =
            One<int64_t>(c.Run("SELECT (SELECT COUNT(*) FROM stk_transactions WHERE agency_id = ? AND phone_number = ? "
                               "AND status = 'PENDING') + (SELECT COUNT(*) FROM transfers WHERE agency_id = ? "
                               "AND phone_number = ? AND status = 'PENDING')",
                               {agency_id, phone_number, agency_id, phone_number}),
                         ReadInt, "count");
        if (!pending) return Fail(pending.error());
        if (*pending > 0) {
            return Fail(ErrorCode::kConflict,
                        "a transaction with this number is still pending: erase it after it settles");
        }

        // The Daraja references of the number's transactions find the raw bodies and unmatched callbacks about them.
        std::vector<int64_t> stk_ids;
        std::vector<int64_t> transfer_ids;
        std::vector<std::string> references;
        auto stk =
            c.Run("SELECT id, checkout_request_id FROM stk_transactions WHERE agency_id = ? AND phone_number = ?",
                  {agency_id, phone_number});
        if (!stk) return Fail(stk.error());
        for (const auto& row : stk->rows) {
            RowReader r(row);
            stk_ids.push_back(r.Int());
            if (std::string ref = r.Text(); !ref.empty()) references.push_back(std::move(ref));
        }
        auto transfers = c.Run(
            "SELECT id, originator_conversation_id, conversation_id FROM transfers WHERE agency_id = ? "
            "AND phone_number = ?",
            {agency_id, phone_number});
        if (!transfers) return Fail(transfers.error());
        for (const auto& row : transfers->rows) {
            RowReader r(row);
            transfer_ids.push_back(r.Int());
            for (int i = 0; i < 2; ++i) {
                if (std::string ref = r.Text(); !ref.empty()) references.push_back(std::move(ref));
            }
        }

        const std::string now = NowIso8601();
        for (size_t first = 0; first < references.size(); first += kLikeChunk) {
            const size_t n = std::min(kLikeChunk, references.size() - first);
            std::string match = "(";
            SqlParams like;
            for (size_t i = 0; i < n; ++i) {
                match += i == 0 ? "body LIKE ? ESCAPE '\\'" : " OR body LIKE ? ESCAPE '\\'";
                like.emplace_back(LikeContains(references[first + i]));
            }
            match += ")";
            SqlParams params{now};
            params.insert(params.end(), like.begin(), like.end());
            auto bodies =
                c.Run(Cat({"UPDATE inbound_messages SET body = '', body_removed_at = COALESCE(body_removed_at, "
                           "?) WHERE body <> '' AND ",
                           match}),
                      params);
            if (!bodies) return Fail(bodies.error());
            counts.inbound_bodies += bodies->affected;
            std::string refs = "(?";
            SqlParams ref_params{references[first]};
            for (size_t i = 1; i < n; ++i) {
                refs += ", ?";
                ref_params.emplace_back(references[first + i]);
            }
            refs += ")";
            auto unmatched = c.Run(Cat({"UPDATE unmatched_callbacks SET payload = '{}' WHERE payload <> '{}' "
                                        "AND reference IN ",
                                        refs}),
                                   ref_params);
            if (!unmatched) return Fail(unmatched.error());
            counts.inbound_bodies += unmatched->affected;
        }

        // Timelines hold Daraja's bodies (numbers masked, but payee names and CheckoutRequestIDs as received).
        auto stk_events = UpdateIds(c, stk_ids, "transaction_id", [] {
            return Statement{"UPDATE stk_events SET payload = '{}' WHERE payload <> '{}'", {}};
        });
        if (!stk_events) return Fail(stk_events.error());
        auto transfer_events = UpdateIds(c, transfer_ids, "transfer_id", [] {
            return Statement{"UPDATE transfer_events SET payload = '{}' WHERE payload <> '{}'", {}};
        });
        if (!transfer_events) return Fail(transfer_events.error());
        counts.events = *stk_events + *transfer_events;

        std::vector<int64_t> all_ids = stk_ids;
        all_ids.insert(all_ids.end(), transfer_ids.begin(), transfer_ids.end());
        auto review = UpdateIds(c, all_ids, "transaction_id", [&] {
            Statement s{
                Cat({"UPDATE review_items SET reason = ", Scrub("reason"), ", resolution = ", Scrub("resolution"),
                     " WHERE agency_id = ? AND (reason LIKE ? ESCAPE '\\' OR resolution LIKE ? ESCAPE '\\')"}),
                {}};
            ScrubParams(s.params, forms, placeholder);
            ScrubParams(s.params, forms, placeholder);
            s.params.emplace_back(agency_id);
            s.params.emplace_back(LikeContains(forms.last9));
            s.params.emplace_back(LikeContains(forms.last9));
            return s;
        });
        if (!review) return Fail(review.error());
        counts.review_items = *review;

        auto answers = [&] {
            SqlParams p;
            ScrubParams(p, forms, placeholder);
            p.emplace_back(agency_id);
            p.emplace_back(LikeContains(forms.last9));
            return c.Run(Cat({"UPDATE idempotency_keys SET body = ", Scrub("body"),
                              " WHERE agency_id = ? AND body LIKE ? ESCAPE '\\'"}),
                         p);
        }();
        if (!answers) return Fail(answers.error());
        counts.idempotency_answers = answers->affected;

        // The rows themselves: number and name out, money, receipts, states and dates kept. A CheckoutRequestID
        // ends with 9 digits of the number; those become "-erased-<id>" (unique, as the column must be).
        SqlParams stk_params{placeholder};
        ScrubParams(stk_params, forms, placeholder);
        stk_params.emplace_back("%" + forms.last9);  // digits: nothing to escape
        stk_params.emplace_back(agency_id);
        stk_params.emplace_back(phone_number);
        auto stk_rows =
            c.Run(Cat({"UPDATE stk_transactions SET phone_number = ?, review_reason = ", Scrub("review_reason"),
                       ", checkout_request_id = CASE WHEN checkout_request_id LIKE ? ESCAPE '\\' THEN "
                       "SUBSTR(checkout_request_id, 1, LENGTH(checkout_request_id) - 9) || '-erased-' || "
                       "CAST(id AS TEXT) ELSE checkout_request_id END "
                       "WHERE agency_id = ? AND phone_number = ?"}),
                  stk_params);
        if (!stk_rows) return Fail(stk_rows.error());
        counts.transactions = stk_rows->affected;

        SqlParams transfer_params{placeholder};
        for (int column = 0; column < 4; ++column) ScrubParams(transfer_params, forms, placeholder);
        transfer_params.emplace_back(agency_id);
        transfer_params.emplace_back(phone_number);
        auto transfer_rows =
            c.Run(Cat({"UPDATE transfers SET phone_number = ?, review_reason = ", Scrub("review_reason"),
                       ", remarks = ", Scrub("remarks"), ", occasion = ", Scrub("occasion"),
                       ", reason = ", Scrub("reason"), " WHERE agency_id = ? AND phone_number = ?"}),
                  transfer_params);
        if (!transfer_rows) return Fail(transfer_rows.error());
        counts.transfers = transfer_rows->affected;

        auto payments = c.Run("UPDATE payments SET phone_number = ? WHERE agency_id = ? AND phone_number = ?",
                              {placeholder, agency_id, phone_number});
        if (!payments) return Fail(payments.error());
        counts.payments = payments->affected;

        // Receipts and webhooks in the outbox name the number (and the lease's email): emptied, and cancelled
        // when not yet sent.
        auto outbox = c.Run(
            "UPDATE outbox_messages SET recipient = '', payload = '{}', dedupe_key = 'erased:' || id, status = CASE "
            "WHEN status = 'PENDING' THEN 'CANCELLED' ELSE status END WHERE agency_id = ? AND (recipient = ? OR "
            "recipient IN (SELECT email FROM leases WHERE agency_id = ? AND phone_number = ? AND email IS NOT NULL) "
            "OR payload LIKE ?)",
            {agency_id, phone_number, agency_id, phone_number, "%" + forms.last9 + "%"});
        if (!outbox) return Fail(outbox.error());

        auto leases = c.Run(
            "UPDATE leases SET tenant_name = ?, phone_number = ?, email = NULL, phone_hash = NULL WHERE agency_id = ? "
            "AND phone_number = "
            "?",
            {std::string(kErasedTenant), placeholder, agency_id, phone_number});
        if (!leases) return Fail(leases.error());
        counts.leases = leases->affected;
        return counts;
    });
}

Result<int64_t> SqlStore::PruneRawBodies(const std::string& older_than, int limit) {
    // The claim of every background sweep (background_work.cpp): a batch of due rows, oldest first, that another
    // process is not taking right now. The work is the statement itself, so no lease outlives it.
    const bool postgres = db_->Backend() == "postgres";
    const int64_t batch = std::clamp(limit, 1, kMaxListLimit);
    auto bodies = Run(Cat({"UPDATE inbound_messages SET body = '', body_removed_at = ? WHERE id IN (SELECT id FROM "
                           "inbound_messages WHERE body_removed_at IS NULL AND received_at < ? "
                           "ORDER BY received_at, id LIMIT ?",
                           postgres ? " FOR UPDATE SKIP LOCKED" : "", ")"}),
                      {NowIso8601(), older_than, batch});
    if (!bodies) return Fail(bodies.error());
    // Callbacks that matched nothing are kept as received (numbers masked, payee names not) for as long.
    auto unmatched = Run(Cat({"UPDATE unmatched_callbacks SET payload = '{}' WHERE id IN (SELECT id FROM "
                              "unmatched_callbacks WHERE payload <> '{}' AND received_at < ? ORDER BY id LIMIT ?",
                              postgres ? " FOR UPDATE SKIP LOCKED" : "", ")"}),
                         {older_than, batch});
    if (!unmatched) return Fail(unmatched.error());
    return bodies->affected + unmatched->affected;
}

}  // namespace haven::storage
