// Sessions and two-factor login: refresh token families, TOTP secrets, recovery codes, the agency's policy.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<void> SqlStore::InsertRefreshToken(const RefreshToken& token) {
    return Done(Run(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        {token.token_hash, token.family_id, token.user_id, token.created_at_ms, token.expires_at_ms}));
}

Result<RefreshSpendResult> SqlStore::SpendRefreshToken(const std::string& token_hash, int64_t now_ms) {
    return InTransaction<RefreshSpendResult>([&](SqlConnection& c) -> Result<RefreshSpendResult> {
        // The one guarded UPDATE: only a live token is spent, so of two callers presenting it one wins.
        auto spent = c.Run(
            "UPDATE refresh_tokens SET spent_at = ? "
            "WHERE token_hash = ? AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > ? "
            "RETURNING family_id, user_id, created_at",
            {now_ms, token_hash, now_ms});
        if (!spent) return Fail(spent.error());
        RefreshSpendResult out;
        if (!spent->rows.empty()) {
            RowReader r(spent->rows.front());
            out.family_id = r.Text();
            out.user_id = r.Int();
            out.created_at_ms = r.Int();
            out.outcome = RefreshSpend::kSpent;
            return out;
        }
        auto row = c.Run(
            "SELECT family_id, user_id, spent_at, revoked_at, expires_at FROM refresh_tokens "
            "WHERE token_hash = ?",
            {token_hash});
        if (!row) return Fail(row.error());
        if (row->rows.empty()) return out;  // kUnknown
        RowReader r(row->rows.front());
        out.family_id = r.Text();
        out.user_id = r.Int();
        const auto spent_at = r.OptInt();
        const auto revoked_at = r.OptInt();
        if (revoked_at) {
            out.outcome = RefreshSpend::kRevoked;
        } else if (spent_at) {
            // A spent token came back: whoever holds the chain now may be a thief, so every token of it goes.
            auto revoked = c.Run("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                                 {now_ms, out.family_id});
            if (!revoked) return Fail(revoked.error());
            out.outcome = RefreshSpend::kReused;
        } else {
            out.outcome = RefreshSpend::kExpired;
        }
        return out;
    });
}

Result<int64_t> SqlStore::RevokeRefreshFamilyOf(const std::string& token_hash, int64_t now_ms) {
    return InTransaction<int64_t>([&](SqlConnection& c) -> Result<int64_t> {
        auto row = c.Run("SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = ?", {token_hash});
        if (!row) return Fail(row.error());
        if (row->rows.empty()) return int64_t{0};
        RowReader r(row->rows.front());
        const std::string family = r.Text();
        const int64_t user_id = r.Int();
        auto revoked = c.Run("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                             {now_ms, family});
        if (!revoked) return Fail(revoked.error());
        return user_id;
    });
}

Result<int64_t> SqlStore::PruneRefreshTokens(int64_t before_ms) {
    auto res = Run("DELETE FROM refresh_tokens WHERE expires_at < ?", {before_ms});
    if (!res) return Fail(res.error());
    return res->affected;
}

Result<TotpRecord> SqlStore::FindTotp(int64_t user_id) {
    return One<TotpRecord>(
        RunRead("SELECT user_id, secret, enabled, last_step FROM user_totp WHERE user_id = ?", {user_id}),
        [](const SqlRow& row) {
            RowReader r(row);
            TotpRecord t;
            t.user_id = r.Int();
            t.secret = r.Text();
            t.enabled = r.Int() != 0;
            t.last_step = r.Int();
            return t;
        },
        "two-factor login");
}

Result<void> SqlStore::StartTotp(int64_t user_id, const std::string& secret, int64_t now_ms) {
    // A pending secret is replaced; an enabled one is kept (the upsert's WHERE leaves it untouched).
    auto res = Run(
        "INSERT INTO user_totp (user_id, secret, enabled, last_step, created_at) VALUES (?, ?, 0, 0, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at "
        "WHERE user_totp.enabled = 0",
        {user_id, secret, now_ms});
    if (!res) return Fail(res.error());
    if (res->affected == 0) return Fail(ErrorCode::kConflict, "two-factor login is already on: turn it off first");
    return {};
}

Result<void> SqlStore::EnableTotp(int64_t user_id, const std::vector<std::string>& recovery_code_hashes) {
    return InTransaction<void>([&](SqlConnection& c) -> Result<void> {
        auto on = c.Run("UPDATE user_totp SET enabled = 1 WHERE user_id = ? AND enabled = 0", {user_id});
        if (!on) return Fail(on.error());
        if (on->affected == 0) return Fail(ErrorCode::kConflict, "no two-factor set-up is waiting to be confirmed");
        if (auto gone = c.Run("DELETE FROM totp_recovery_codes WHERE user_id = ?", {user_id}); !gone) {
            return Fail(gone.error());
        }
        for (const auto& hash : recovery_code_hashes) {
            if (auto added =
                    c.Run("INSERT INTO totp_recovery_codes (user_id, code_hash) VALUES (?, ?)", {user_id, hash});
                !added) {
                return Fail(added.error());
            }
        }
        return {};
    });
}

Result<void> SqlStore::DisableTotp(int64_t user_id) {
    return InTransaction<void>([&](SqlConnection& c) -> Result<void> {
        if (auto r = c.Run("DELETE FROM totp_recovery_codes WHERE user_id = ?", {user_id}); !r) return Fail(r.error());
        if (auto r = c.Run("DELETE FROM user_totp WHERE user_id = ?", {user_id}); !r) return Fail(r.error());
        return {};
    });
}

Result<bool> SqlStore::ClaimTotpStep(int64_t user_id, int64_t step) {
    auto res = Run("UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?", {step, user_id, step});
    if (!res) return Fail(res.error());
    return res->affected == 1;
}

Result<bool> SqlStore::UseRecoveryCode(int64_t user_id, const std::string& code_hash, int64_t now_ms) {
    auto res =
        Run("UPDATE totp_recovery_codes SET used_at = ? WHERE id = (SELECT id FROM totp_recovery_codes "
            "WHERE user_id = ? AND code_hash = ? AND used_at IS NULL ORDER BY id LIMIT 1) AND used_at IS NULL",
            {now_ms, user_id, code_hash});
    if (!res) return Fail(res.error());
    return res->affected == 1;
}

Result<int64_t> SqlStore::CountRecoveryCodes(int64_t user_id) {
    return One<int64_t>(
        RunRead("SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = ? AND used_at IS NULL", {user_id}), ReadInt,
        "recovery codes");
}

Result<bool> SqlStore::RequireAdminTwoFactor(int64_t agency_id) {
    auto res = RunRead("SELECT require_admin_two_factor FROM agency_security WHERE agency_id = ?", {agency_id});
    if (!res) return Fail(res.error());
    if (res->rows.empty()) return false;
    return ReadInt(res->rows.front()) != 0;
}

Result<void> SqlStore::SetRequireAdminTwoFactor(int64_t agency_id, bool required) {
    return Done(
        Run("INSERT INTO agency_security (agency_id, require_admin_two_factor) VALUES (?, ?) "
            "ON CONFLICT (agency_id) DO UPDATE SET require_admin_two_factor = excluded.require_admin_two_factor",
            {agency_id, int64_t{required ? 1 : 0}}));
}

}  // namespace haven::storage
