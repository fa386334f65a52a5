// Agencies and their users (log-in accounts).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<core::Agency> SqlStore::FindOrCreateAgency(const std::string& name) {
    auto ins = Run("INSERT INTO agencies (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                   {name, NowIso8601()});
    if (!ins) return Fail(ins.error());
    return One<core::Agency>(Run("SELECT id, name FROM agencies WHERE name = ?", {name}), ReadAgency, "agency");
}

Result<core::Agency> SqlStore::FindAgency(int64_t id) {
    return One<core::Agency>(RunRead("SELECT id, name FROM agencies WHERE id = ?", {id}), ReadAgency, "agency");
}

Result<core::User> SqlStore::InsertUser(const core::User& user) {
    auto res =
        Run(Cat({"INSERT INTO users (agency_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?) "
                 "RETURNING ",
                 kUserCols}),
            {user.agency_id, user.email, user.password_hash, std::string(core::ToString(user.role)), NowIso8601()});
    if (!res && res.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "a user with this email already exists");
    }
    return One<core::User>(std::move(res), ReadUser, "user");
}

Result<core::User> SqlStore::FindUserByEmail(const std::string& email) {
    return One<core::User>(RunRead(Cat({"SELECT ", kUserCols, " FROM users WHERE lower(email) = lower(?)"}), {email}),
                           ReadUser, "user");
}

Result<core::User> SqlStore::FindUserById(int64_t id) {
    return One<core::User>(RunRead(Cat({"SELECT ", kUserCols, " FROM users WHERE id = ?"}), {id}), ReadUser, "user");
}

}  // namespace haven::storage
