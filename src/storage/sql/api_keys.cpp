// API keys (looked up by the SHA-256 of the key) and agencies' Haven ids.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kApiKeyCols =
    "id, agency_id, name, role, key_hash, prefix, created_by, created_at, last_used_at, revoked_at";
constexpr const char* kAgencyCols = "id, name, external_id";

ApiKey ReadApiKey(const SqlRow& row) {
    RowReader r(row);
    ApiKey k;
    k.id = r.Int();
    k.agency_id = r.Int();
    k.name = r.Text();
    k.role = StoredRole(r.Text());
    k.key_hash = r.Text();
    k.prefix = r.Text();
    k.created_by = r.Text();
    k.created_at = r.Text();
    k.last_used_at = r.Text();
    k.revoked_at = r.Text();
    return k;
}

core::Agency ReadAgencyWithExternalId(const SqlRow& row) {
    RowReader r(row);
    core::Agency a;
    a.id = r.Int();
    a.name = r.Text();
    a.external_id = r.Text();
    return a;
}

}  // namespace

Result<ApiKey> SqlStore::InsertApiKey(const ApiKey& key) {
    auto res = Run(Cat({"INSERT INTO api_keys (agency_id, name, role, key_hash, prefix, created_by, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
                        kApiKeyCols}),
                   {key.agency_id, key.name, std::string(core::ToString(key.role)), key.key_hash, key.prefix,
                    key.created_by, NowIso8601()});
    if (!res && res.error().code == ErrorCode::kConflict) return Fail(ErrorCode::kConflict, "this key already exists");
    return One<ApiKey>(std::move(res), ReadApiKey, "api key");
}

Result<ApiKey> SqlStore::FindApiKeyByHash(const std::string& key_hash) {
    return One<ApiKey>(RunRead(Cat({"SELECT ", kApiKeyCols, " FROM api_keys WHERE key_hash = ?"}), {key_hash}),
                       ReadApiKey, "api key");
}

Result<std::vector<ApiKey>> SqlStore::ListApiKeys(int64_t agency_id) {
    return Many<ApiKey>(
        RunRead(Cat({"SELECT ", kApiKeyCols, " FROM api_keys WHERE agency_id = ? ORDER BY id DESC"}), {agency_id}),
        ReadApiKey);
}

Result<ApiKey> SqlStore::RevokeApiKey(int64_t agency_id, int64_t id) {
    return One<ApiKey>(Run(Cat({"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                                "WHERE agency_id = ? AND id = ? RETURNING ",
                                kApiKeyCols}),
                           {NowIso8601(), agency_id, id}),
                       ReadApiKey, "api key");
}

Result<void> SqlStore::TouchApiKey(int64_t id, const std::string& at) {
    return Done(Run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {at, id}));
}

Result<core::Agency> SqlStore::SetAgencyExternalId(int64_t agency_id, const std::string& external_id) {
    auto res = Run(Cat({"UPDATE agencies SET external_id = ? WHERE id = ? RETURNING ", kAgencyCols}),
                   {OptText(external_id), agency_id});
    if (!res && res.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "another agency already has this external id");
    }
    return One<core::Agency>(std::move(res), ReadAgencyWithExternalId, "agency");
}

Result<core::Agency> SqlStore::FindAgencyByExternalId(const std::string& external_id) {
    return One<core::Agency>(
        RunRead(Cat({"SELECT ", kAgencyCols, " FROM agencies WHERE external_id = ?"}), {external_id}),
        ReadAgencyWithExternalId, "agency");
}

}  // namespace haven::storage
