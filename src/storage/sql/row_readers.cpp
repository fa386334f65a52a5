// Row readers: one SQL row (text values) -> one struct, in the order of the k...Cols lists.
#include "storage/sql/row_readers.hpp"

#include "core/time.hpp"

namespace haven::storage {

core::TxStatus StoredStatus(std::string_view text) {
    return core::ParseTxStatus(text).value_or(core::TxStatus::kPending);
}

core::Role StoredRole(std::string_view text) { return core::ParseRole(text).value_or(core::Role::kViewer); }

core::TxKind StoredKind(std::string_view text) { return core::ParseTxKind(text).value_or(core::TxKind::kB2c); }

core::Agency ReadAgency(const SqlRow& row) {
    RowReader r(row);
    core::Agency a;
    a.id = r.Int();
    a.name = r.Text();
    return a;
}

core::User ReadUser(const SqlRow& row) {
    RowReader r(row);
    core::User u;
    u.id = r.Int();
    u.agency_id = r.Int();
    u.email = r.Text();
    u.password_hash = r.Text();
    u.role = StoredRole(r.Text());
    u.created_at = r.Text();
    u.disabled_at = r.Text();
    u.tokens_valid_after = r.Int();
    return u;
}

core::Lease ReadLease(const SqlRow& row) {
    RowReader r(row);
    core::Lease l;
    l.id = r.Int();
    l.agency_id = r.Int();
    l.tenant_name = r.Text();
    l.phone_number = r.Text();
    l.unit = r.Text();
    l.monthly_rent = r.Int();
    l.account_reference = r.Text();
    l.external_id = r.Text();
    l.created_at = r.Text();
    l.email = r.Text();
    l.end_date = r.Text();
    l.ended_at = r.Text();
    l.end_reason = r.Text();
    l.due_day = static_cast<int>(r.OptInt().value_or(5));
    l.start_date = r.Text();
    // A lease stored before it had a start date starts on the Nairobi day it was created.
    if (l.start_date.empty()) {
        if (auto created = core::ParseIsoUtc(l.created_at))
            l.start_date = core::IsoUtc(*created + core::kEatOffset).substr(0, 10);
    }
    return l;
}

core::StkTransaction ReadStk(const SqlRow& row) {
    RowReader r(row);
    core::StkTransaction t;
    t.id = r.Int();
    t.agency_id = r.Int();
    t.lease_id = r.OptInt();
    t.user_id = r.OptInt();
    t.phone_number = r.Text();
    t.amount = r.Int();
    t.account_reference = r.Text();
    t.transaction_desc = r.Text();
    t.merchant_request_id = r.Text();
    t.checkout_request_id = r.Text();
    t.status = StoredStatus(r.Text());
    t.result_code = r.OptInt();
    t.result_desc = r.Text();
    t.mpesa_receipt_number = r.Text();
    t.transaction_date = r.Text();
    t.created_at = r.Text();
    t.updated_at = r.Text();
    t.reconciliation = r.Reconciliation();
    t.paid_amount = r.OptInt();
    t.review_reason = r.Text();
    t.completed_at = r.Text();
    return t;
}

core::Payment ReadPayment(const SqlRow& row) {
    RowReader r(row);
    core::Payment p;
    p.id = r.Int();
    p.agency_id = r.Int();
    p.lease_id = r.Int();
    p.transaction_id = r.Int();
    p.amount = r.Int();
    p.mpesa_receipt_number = r.Text();
    p.phone_number = r.Text();
    p.paid_at = r.Text();
    p.source = r.Text();
    p.payer_name = r.Text();
    return p;
}

Transfer ReadTransfer(const SqlRow& row) {
    RowReader r(row);
    Transfer t;
    t.id = r.Int();
    t.agency_id = r.Int();
    t.user_id = r.OptInt();
    t.kind = StoredKind(r.Text());
    t.type = r.Text();
    t.command_id = r.Text();
    t.phone_number = r.Text();
    t.amount = r.Int();
    t.remarks = r.Text();
    t.occasion = r.Text();
    t.reason = r.Text();
    t.original_transaction_id = r.OptInt();
    t.original_receipt = r.Text();
    t.originator_conversation_id = r.Text();
    t.conversation_id = r.Text();
    t.status = StoredStatus(r.Text());
    t.result_code = r.Text();
    t.result_desc = r.Text();
    t.mpesa_receipt_number = r.Text();
    t.created_at = r.Text();
    t.updated_at = r.Text();
    t.reconciliation = r.Reconciliation();
    t.review_reason = r.Text();
    t.completed_at = r.Text();
    return t;
}

ReviewItem ReadReview(const SqlRow& row) {
    RowReader r(row);
    ReviewItem i;
    i.id = r.Int();
    i.agency_id = r.OptInt();
    i.transaction_id = r.OptInt();
    i.inbound_id = r.OptInt();
    i.reason_code = r.Text();
    i.reason = r.Text();
    i.status = r.Text();
    i.resolution = r.Text();
    i.resolved_by = r.Text();
    i.created_at = r.Text();
    i.resolved_at = r.Text();
    return i;
}

BalanceCheck ReadBalance(const SqlRow& row) {
    RowReader r(row);
    BalanceCheck b;
    b.id = r.Int();
    b.agency_id = r.Int();
    b.user_id = r.OptInt();
    b.originator_conversation_id = r.Text();
    b.conversation_id = r.Text();
    b.status = StoredStatus(r.Text());
    b.result_code = r.Text();
    b.result_desc = r.Text();
    b.accounts = r.Text();
    if (b.accounts.empty()) b.accounts = "[]";
    b.created_at = r.Text();
    b.updated_at = r.Text();
    return b;
}

StatusQuery ReadStatusQuery(const SqlRow& row) {
    RowReader r(row);
    StatusQuery q;
    q.id = r.Int();
    q.agency_id = r.Int();
    q.user_id = r.OptInt();
    q.transaction_id = r.OptInt();
    q.receipt = r.Text();
    q.originator_conversation_id = r.Text();
    q.conversation_id = r.Text();
    q.status = StoredStatus(r.Text());
    q.result_code = r.Text();
    q.result_desc = r.Text();
    q.transaction_status = r.Text();
    q.created_at = r.Text();
    q.updated_at = r.Text();
    return q;
}

core::TxEvent ReadEvent(const SqlRow& row) {
    RowReader r(row);
    core::TxEvent e;
    e.id = r.Int();
    e.kind = r.Text();
    e.payload = r.Text();
    e.created_at = r.Text();
    return e;
}

}  // namespace haven::storage
