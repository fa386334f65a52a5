// Agencies' own M-Pesa accounts: the account columns of mpesa_accounts (the C2B columns are another
// record's and are left as they are by every statement here).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kAccountCols =
    "agency_id, shortcode, till_number, transaction_type, b2c_shortcode, initiator_name, consumer_key_sealed, "
    "consumer_secret_sealed, passkey_sealed, initiator_secret_sealed, initiator_secret_kind, updated_at, updated_by";

MpesaAccount ReadAccount(const SqlRow& row) {
    RowReader r(row);
    MpesaAccount a;
    a.agency_id = r.Int();
    a.shortcode = r.Text();
    a.till_number = r.Text();
    a.transaction_type = r.Text();
    a.b2c_shortcode = r.Text();
    a.initiator_name = r.Text();
    a.consumer_key_sealed = r.Text();
    a.consumer_secret_sealed = r.Text();
    a.passkey_sealed = r.Text();
    a.initiator_secret_sealed = r.Text();
    a.initiator_secret_kind = r.Text();
    a.updated_at = r.Text();
    a.updated_by = r.Text();
    return a;
}

}  // namespace

Result<MpesaAccount> SqlStore::UpsertMpesaAccount(const MpesaAccount& a) {
    auto res = InTransaction<MpesaAccount>([&](SqlConnection& c) -> Result<MpesaAccount> {
        // The UNIQUE constraints keep shortcodes apart and tills apart; a C2B payment is routed by either, so one
        // agency's till may not be another's shortcode either.
        auto taken = c.Run(
            "SELECT agency_id FROM mpesa_accounts WHERE agency_id <> ? AND "
            "(shortcode = ? OR till_number = ? OR shortcode = ? OR till_number = ?)",
            {a.agency_id, OptText(a.shortcode), OptText(a.shortcode), OptText(a.till_number), OptText(a.till_number)});
        if (!taken) return Fail(taken.error());
        if (!taken->rows.empty()) {
            return Fail(ErrorCode::kConflict, "another agency already uses this shortcode or till number");
        }
        return One<MpesaAccount>(
            c.Run(Cat({"INSERT INTO mpesa_accounts (agency_id, shortcode, till_number, transaction_type, "
                       "b2c_shortcode, initiator_name, consumer_key_sealed, consumer_secret_sealed, passkey_sealed, "
                       "initiator_secret_sealed, initiator_secret_kind, updated_at, updated_by) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (agency_id) DO UPDATE SET shortcode = excluded.shortcode, "
                       "till_number = excluded.till_number, transaction_type = excluded.transaction_type, "
                       "b2c_shortcode = excluded.b2c_shortcode, initiator_name = excluded.initiator_name, "
                       "consumer_key_sealed = excluded.consumer_key_sealed, "
                       "consumer_secret_sealed = excluded.consumer_secret_sealed, "
                       "passkey_sealed = excluded.passkey_sealed, "
                       "initiator_secret_sealed = excluded.initiator_secret_sealed, "
                       "initiator_secret_kind = excluded.initiator_secret_kind, updated_at = excluded.updated_at, "
                       "updated_by = excluded.updated_by RETURNING ",
                       kAccountCols}),
                  {a.agency_id, OptText(a.shortcode), OptText(a.till_number), a.transaction_type,
                   OptText(a.b2c_shortcode), a.initiator_name, OptText(a.consumer_key_sealed),
                   OptText(a.consumer_secret_sealed), OptText(a.passkey_sealed), OptText(a.initiator_secret_sealed),
                   a.initiator_secret_kind, NowIso8601(), OptText(a.updated_by)}),
            ReadAccount, "M-Pesa account");
    });
    if (!res && res.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "another agency already uses this shortcode or till number");
    }
    return res;
}

Result<MpesaAccount> SqlStore::FindMpesaAccount(int64_t agency_id) {
    return One<MpesaAccount>(
        RunRead(Cat({"SELECT ", kAccountCols, " FROM mpesa_accounts WHERE agency_id = ? AND shortcode IS NOT NULL"}),
                {agency_id}),
        ReadAccount, "M-Pesa account");
}

Result<bool> SqlStore::ClearMpesaAccount(int64_t agency_id, const std::string& updated_by) {
    auto res =
        Run("UPDATE mpesa_accounts SET shortcode = NULL, till_number = NULL, "
            "transaction_type = 'CustomerPayBillOnline', b2c_shortcode = NULL, initiator_name = '', "
            "consumer_key_sealed = NULL, consumer_secret_sealed = NULL, passkey_sealed = NULL, "
            "initiator_secret_sealed = NULL, initiator_secret_kind = 'password', updated_at = ?, updated_by = ? "
            "WHERE agency_id = ? AND shortcode IS NOT NULL RETURNING agency_id",
            {NowIso8601(), OptText(updated_by), agency_id});
    if (!res) return Fail(res.error());
    return !res->rows.empty();
}

}  // namespace haven::storage
