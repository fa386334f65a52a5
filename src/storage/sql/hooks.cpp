// An agency's C2B settings and last registration: the c2b_* columns of its mpesa_accounts row. Every write is one
// upsert (INSERT ... ON CONFLICT (agency_id) DO UPDATE) naming only its own columns, so a row the M-Pesa account
// settings wrote keeps its shortcode and secrets, and a missing row is created with NULL account columns.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kC2bCols =
    "c2b_version, c2b_response_type, c2b_validation, c2b_reject_unknown, c2b_registered_at, c2b_registered_urls";

C2bSettings ReadC2bSettings(const SqlRow& row) {
    RowReader r(row);
    C2bSettings s;
    s.version = static_cast<int>(r.Int());
    s.response_type = r.Text();
    s.validation = r.Int() != 0;
    s.reject_unknown = r.Int() != 0;
    s.registered_at = r.Text();
    s.registered_urls = r.Text();
    return s;
}

}  // namespace

Result<std::optional<C2bSettings>> SqlStore::FindC2bSettings(int64_t agency_id) {
    auto rows = Many<C2bSettings>(
        RunRead(Cat({"SELECT ", kC2bCols, " FROM mpesa_accounts WHERE agency_id = ?"}), {agency_id}), ReadC2bSettings);
    if (!rows) return Fail(rows.error());
    if (rows->empty()) return std::optional<C2bSettings>();
    return std::optional<C2bSettings>(rows->front());
}

Result<C2bSettings> SqlStore::UpdateC2bSettings(int64_t agency_id, const C2bSettings& s,
                                                const std::string& updated_by) {
    return One<C2bSettings>(
        Run(Cat({"INSERT INTO mpesa_accounts (agency_id, c2b_version, c2b_response_type, c2b_validation, "
                 "c2b_reject_unknown, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (agency_id) DO UPDATE SET c2b_version = excluded.c2b_version, "
                 "c2b_response_type = excluded.c2b_response_type, c2b_validation = excluded.c2b_validation, "
                 "c2b_reject_unknown = excluded.c2b_reject_unknown, updated_at = excluded.updated_at, "
                 "updated_by = excluded.updated_by RETURNING ",
                 kC2bCols}),
            {agency_id, int64_t{s.version}, s.response_type, int64_t{s.validation}, int64_t{s.reject_unknown},
             NowIso8601(), updated_by}),
        ReadC2bSettings, "c2b settings");
}

Result<C2bSettings> SqlStore::RecordC2bRegistration(int64_t agency_id, const C2bSettings& used,
                                                    const std::string& urls_json, const std::string& at,
                                                    const std::string& updated_by) {
    return One<C2bSettings>(
        Run(Cat({"INSERT INTO mpesa_accounts (agency_id, c2b_version, c2b_response_type, c2b_validation, "
                 "c2b_reject_unknown, c2b_registered_at, c2b_registered_urls, updated_at, updated_by) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (agency_id) DO UPDATE SET c2b_registered_at = excluded.c2b_registered_at, "
                 "c2b_registered_urls = excluded.c2b_registered_urls, updated_at = excluded.updated_at, "
                 "updated_by = excluded.updated_by RETURNING ",
                 kC2bCols}),
            {agency_id, int64_t{used.version}, used.response_type, int64_t{used.validation},
             int64_t{used.reject_unknown}, at, urls_json, NowIso8601(), updated_by}),
        ReadC2bSettings, "c2b settings");
}

}  // namespace haven::storage
