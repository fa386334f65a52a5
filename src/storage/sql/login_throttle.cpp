// Login throttling: failed logins per (email, address) and per address, shared by every node.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

LoginFailures ReadLoginFailures(const SqlRow& row) {
    RowReader r(row);
    LoginFailures f;
    f.failures = r.Int();
    f.last_failure_at_ms = r.Int();
    return f;
}

}  // namespace

Result<LoginFailures> SqlStore::FindLoginFailures(const std::string& email, const std::string& address) {
    auto res = RunRead("SELECT failures, last_failure_at FROM login_failures WHERE email = ? AND address = ?",
                       {email, address});
    if (!res) return Fail(res.error());
    if (res->rows.empty()) return LoginFailures{};
    return ReadLoginFailures(res->rows.front());
}

Result<LoginFailures> SqlStore::RecordLoginFailure(const std::string& email, const std::string& address, int64_t now_ms,
                                                   int64_t forget_before_ms) {
    return InTransaction<LoginFailures>([&](SqlConnection& c) -> Result<LoginFailures> {
        // One upsert, so concurrent failures (several nodes, several threads) each count once.
        auto counted = One<LoginFailures>(
            c.Run("INSERT INTO login_failures (email, address, failures, last_failure_at) VALUES (?, ?, 1, ?) "
                  "ON CONFLICT (email, address) DO UPDATE SET "
                  "failures = CASE WHEN login_failures.last_failure_at < ? THEN 1 "
                  "ELSE login_failures.failures + 1 END, "
                  "last_failure_at = excluded.last_failure_at "
                  "RETURNING failures, last_failure_at",
                  {email, address, now_ms, forget_before_ms}),
            ReadLoginFailures, "login failures");
        if (!counted) return counted;
        auto window = c.Run("INSERT INTO login_address_failures (address, at) VALUES (?, ?)", {address, now_ms});
        if (!window) return Fail(window.error());
        return counted;
    });
}

Result<AddressLoginFailures> SqlStore::CountAddressLoginFailures(const std::string& address, int64_t since_ms) {
    return One<AddressLoginFailures>(
        RunRead("SELECT COUNT(*), MIN(at) FROM login_address_failures WHERE address = ? AND at > ?",
                {address, since_ms}),
        [](const SqlRow& row) {
            RowReader r(row);
            AddressLoginFailures a;
            a.count = r.Int();
            a.oldest_at_ms = r.Int();
            return a;
        },
        "login failures");
}

Result<void> SqlStore::ClearLoginFailures(const std::string& email, const std::string& address) {
    return Done(Run("DELETE FROM login_failures WHERE email = ? AND address = ?", {email, address}));
}

Result<int64_t> SqlStore::PruneLoginFailures(int64_t failures_before_ms, int64_t address_before_ms) {
    auto accounts = Run("DELETE FROM login_failures WHERE last_failure_at < ?", {failures_before_ms});
    if (!accounts) return Fail(accounts.error());
    auto addresses = Run("DELETE FROM login_address_failures WHERE at < ?", {address_before_ms});
    if (!addresses) return Fail(addresses.error());
    return accounts->affected + addresses->affected;
}

}  // namespace haven::storage
