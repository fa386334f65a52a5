// Users managed by their agency's admins: roles, disabling, password changes and one-time links (invites and
// forced resets).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kInviteCols =
    "id, agency_id, purpose, email, role, user_id, token_hash, created_by_user_id, created_at, expires_at, used_at, "
    "revoked_at";

UserInvite ReadInvite(const SqlRow& row) {
    RowReader r(row);
    UserInvite i;
    i.id = r.Int();
    i.agency_id = r.Int();
    i.purpose = r.Text();
    i.email = r.Text();
    i.role = core::ParseRole(r.Text()).value_or(core::Role::kViewer);
    i.user_id = r.OptInt();
    i.token_hash = r.Text();
    i.created_by_user_id = r.OptInt();
    i.created_at = r.Text();
    i.expires_at = r.Text();
    i.used_at = r.Text();
    i.revoked_at = r.Text();
    return i;
}

Result<core::User> FindUserIn(SqlConnection& c, int64_t agency_id, int64_t user_id) {
    return One<core::User>(
        c.Run(Cat({"SELECT ", kUserCols, " FROM users WHERE id = ? AND agency_id = ?"}), {user_id, agency_id}),
        ReadUser, "user");
}

/// The agency's user `user_id`, read after locking the agency row (a no-op UPDATE: a row lock on PostgreSQL, the
/// write lock on SQLite), so every change to the agency's admins waits for the one before it and reads what that one
/// committed.
Result<core::User> LockAndFindUser(SqlConnection& c, int64_t agency_id, int64_t user_id) {
    auto locked = c.Run("UPDATE agencies SET name = name WHERE id = ?", {agency_id});
    if (!locked) return Fail(locked.error());
    return FindUserIn(c, agency_id, user_id);
}

/// The one rule about admins: an agency keeps at least one active admin (call under LockAndFindUser).
Result<void> KeepsAnActiveAdmin(SqlConnection& c, int64_t agency_id, const core::User& user) {
    if (user.role != core::Role::kAdmin || !user.disabled_at.empty()) return {};
    auto others =
        c.Run("SELECT COUNT(*) FROM users WHERE agency_id = ? AND role = 'admin' AND disabled_at IS NULL AND id <> ?",
              {agency_id, user.id});
    if (!others) return Fail(others.error());
    if (RowReader(others->rows.front()).Int() == 0) {
        return Fail(ErrorCode::kConflict,
                    "this is the agency's last active admin: make another user admin first, so the agency keeps one");
    }
    return {};
}

}  // namespace

Result<std::vector<core::User>> SqlStore::ListUsers(int64_t agency_id) {
    auto res = RunRead(Cat({"SELECT ", kUserCols, " FROM users WHERE agency_id = ? ORDER BY id"}), {agency_id});
    if (!res) return Fail(res.error());
    std::vector<core::User> out;
    out.reserve(res->rows.size());
    for (const auto& row : res->rows) out.push_back(ReadUser(row));
    return out;
}

Result<UserInvite> SqlStore::InsertInvite(const UserInvite& invite) {
    return InTransaction<UserInvite>([&](SqlConnection& c) -> Result<UserInvite> {
        if (invite.purpose == "invite") {
            auto taken = c.Run("SELECT id FROM users WHERE lower(email) = lower(?)", {invite.email});
            if (!taken) return Fail(taken.error());
            if (!taken->rows.empty()) return Fail(ErrorCode::kConflict, "a user with this email already exists");
        }
        return One<UserInvite>(
            c.Run(Cat({"INSERT INTO user_invites (agency_id, purpose, email, role, user_id, token_hash, "
                       "created_by_user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                       kInviteCols}),
                  {invite.agency_id, invite.purpose, invite.email, std::string(core::ToString(invite.role)),
                   OptInt(invite.user_id), invite.token_hash, OptInt(invite.created_by_user_id), NowIso8601(),
                   invite.expires_at}),
            ReadInvite, "invite");
    });
}

Result<std::vector<UserInvite>> SqlStore::ListPendingInvites(int64_t agency_id, const std::string& now) {
    auto res = RunRead(Cat({"SELECT ", kInviteCols,
                            " FROM user_invites WHERE agency_id = ? AND used_at IS NULL AND revoked_at IS NULL "
                            "AND expires_at > ? ORDER BY id DESC"}),
                       {agency_id, now});
    if (!res) return Fail(res.error());
    std::vector<UserInvite> out;
    for (const auto& row : res->rows) out.push_back(ReadInvite(row));
    return out;
}

Result<UserInvite> SqlStore::RevokeInvite(int64_t agency_id, int64_t id) {
    auto done = ApplyOnce<UserInvite>(
        Pooled(),
        {Cat({"UPDATE user_invites SET revoked_at = ? WHERE id = ? AND agency_id = ? AND used_at IS NULL "
              "AND revoked_at IS NULL RETURNING ",
              kInviteCols}),
         {NowIso8601(), id, agency_id}},
        {Cat({"SELECT ", kInviteCols, " FROM user_invites WHERE id = ? AND agency_id = ?"}), {id, agency_id}},
        ReadInvite, "invite");
    if (!done) return Fail(done.error());
    if (!done->first) {
        return Fail(ErrorCode::kConflict,
                    done->second.used_at.empty() ? "this link was already revoked" : "this link was already used");
    }
    return std::move(done->second);
}

Result<UserInvite> SqlStore::FindInviteByTokenHash(const std::string& token_hash) {
    return One<UserInvite>(
        RunRead(Cat({"SELECT ", kInviteCols, " FROM user_invites WHERE token_hash = ?"}), {token_hash}), ReadInvite,
        "invite");
}

Result<core::User> SqlStore::RedeemInvite(const std::string& token_hash, const std::string& password_hash,
                                          const std::string& now, int64_t tokens_valid_after) {
    return InTransaction<core::User>([&](SqlConnection& c) -> Result<core::User> {
        // One guarded UPDATE: of two uses of the same link, one wins (ApplyOnce).
        auto used = ApplyOnce<UserInvite>(
            [&c](const std::string& sql, const SqlParams& params) { return c.Run(sql, params); },
            {Cat({"UPDATE user_invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL "
                  "AND expires_at > ? RETURNING ",
                  kInviteCols}),
             {now, token_hash, now}},
            {Cat({"SELECT ", kInviteCols, " FROM user_invites WHERE token_hash = ?"}), {token_hash}}, ReadInvite,
            "link");
        if (!used) {
            if (used.error().code == ErrorCode::kNotFound) {
                return Fail(ErrorCode::kNotFound, "this link is not valid: ask your agency admin for a new one");
            }
            return Fail(used.error());
        }
        const UserInvite& link = used->second;
        if (!used->first) {
            if (!link.used_at.empty()) return Fail(ErrorCode::kConflict, "this link was already used: log in instead");
            if (!link.revoked_at.empty()) {
                return Fail(ErrorCode::kConflict, "this link was revoked: ask your agency admin for a new one");
            }
            return Fail(ErrorCode::kConflict, "this link has expired: ask your agency admin for a new one");
        }
        if (link.purpose == "reset") {
            return One<core::User>(c.Run(Cat({"UPDATE users SET password_hash = ?, tokens_valid_after = ? "
                                              "WHERE id = ? AND agency_id = ? RETURNING ",
                                              kUserCols}),
                                         {password_hash, tokens_valid_after, OptInt(link.user_id), link.agency_id}),
                                   ReadUser, "user");
        }
        auto user = c.Run(Cat({"INSERT INTO users (agency_id, email, password_hash, role, created_at) "
                               "VALUES (?, ?, ?, ?, ?) RETURNING ",
                               kUserCols}),
                          {link.agency_id, link.email, password_hash, std::string(core::ToString(link.role)), now});
        if (!user && user.error().code == ErrorCode::kConflict) {
            return Fail(ErrorCode::kConflict, "a user with this email already exists: log in instead");
        }
        return One<core::User>(std::move(user), ReadUser, "user");
    });
}

Result<core::User> SqlStore::SetUserRole(int64_t agency_id, int64_t user_id, core::Role role) {
    return InTransaction<core::User>([&](SqlConnection& c) -> Result<core::User> {
        auto user = LockAndFindUser(c, agency_id, user_id);
        if (!user) return user;
        if (role != core::Role::kAdmin) {
            if (auto kept = KeepsAnActiveAdmin(c, agency_id, *user); !kept) return Fail(kept.error());
        }
        return One<core::User>(
            c.Run(Cat({"UPDATE users SET role = ? WHERE id = ? AND agency_id = ? RETURNING ", kUserCols}),
                  {std::string(core::ToString(role)), user_id, agency_id}),
            ReadUser, "user");
    });
}

Result<core::User> SqlStore::SetUserDisabled(int64_t agency_id, int64_t user_id, bool disabled,
                                             int64_t tokens_valid_after) {
    return InTransaction<core::User>([&](SqlConnection& c) -> Result<core::User> {
        auto user = LockAndFindUser(c, agency_id, user_id);
        if (!user) return user;
        if (!disabled) {
            return One<core::User>(
                c.Run(Cat({"UPDATE users SET disabled_at = NULL WHERE id = ? AND agency_id = ? RETURNING ", kUserCols}),
                      {user_id, agency_id}),
                ReadUser, "user");
        }
        if (auto kept = KeepsAnActiveAdmin(c, agency_id, *user); !kept) return Fail(kept.error());
        return One<core::User>(c.Run(Cat({"UPDATE users SET disabled_at = COALESCE(disabled_at, ?), "
                                          "tokens_valid_after = ? WHERE id = ? AND agency_id = ? RETURNING ",
                                          kUserCols}),
                                     {NowIso8601(), tokens_valid_after, user_id, agency_id}),
                               ReadUser, "user");
    });
}

Result<core::User> SqlStore::SetUserPassword(int64_t user_id, const std::string& password_hash,
                                             int64_t tokens_valid_after) {
    return One<core::User>(
        Run(Cat({"UPDATE users SET password_hash = ?, tokens_valid_after = ? WHERE id = ? RETURNING ", kUserCols}),
            {password_hash, tokens_valid_after, user_id}),
        ReadUser, "user");
}

Result<UserInvite> SqlStore::StartPasswordReset(int64_t agency_id, int64_t user_id, const UserInvite& link,
                                                int64_t tokens_valid_after) {
    return InTransaction<UserInvite>([&](SqlConnection& c) -> Result<UserInvite> {
        auto user = One<core::User>(c.Run(Cat({"UPDATE users SET password_hash = '', tokens_valid_after = ? "
                                               "WHERE id = ? AND agency_id = ? RETURNING ",
                                               kUserCols}),
                                          {tokens_valid_after, user_id, agency_id}),
                                    ReadUser, "user");
        if (!user) return Fail(user.error());
        const std::string now = NowIso8601();
        auto revoked = c.Run(
            "UPDATE user_invites SET revoked_at = ? WHERE user_id = ? AND purpose = 'reset' AND used_at IS NULL "
            "AND revoked_at IS NULL",
            {now, user_id});
        if (!revoked) return Fail(revoked.error());
        return One<UserInvite>(
            c.Run(Cat({"INSERT INTO user_invites (agency_id, purpose, email, role, user_id, token_hash, "
                       "created_by_user_id, created_at, expires_at) VALUES (?, 'reset', ?, ?, ?, ?, ?, ?, ?) "
                       "RETURNING ",
                       kInviteCols}),
                  {agency_id, user->email, std::string(core::ToString(user->role)), user_id, link.token_hash,
                   OptInt(link.created_by_user_id), now, link.expires_at}),
            ReadInvite, "invite");
    });
}

}  // namespace haven::storage
