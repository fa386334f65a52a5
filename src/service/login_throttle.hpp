#pragma once
// Login throttling: failed logins slow down guessing without letting an attacker lock the real user out.
// - Per (account, client address): the first 5 failures are free; after that each attempt waits a delay that
//   doubles from 1 s up to 15 minutes. Another address (the real admin at the office) is not affected.
// - Per client address, whatever the account: at most 100 failures in 10 minutes (generous, because many phones
//   share one carrier NAT address).
// While throttled a login is refused before its password is checked. A success clears its (account, address).
// The state lives in the Store, so several gateway nodes on one database apply the same limits.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace haven::service {

struct LoginThrottleSettings {
    int64_t free_failures = 5;                    // failures of one (account, address) before any delay
    std::chrono::milliseconds first_delay{1000};  // the delay after the 5th failure, doubling per failure
    std::chrono::milliseconds max_delay{15 * 60 * 1000};
    int64_t address_max_failures = 100;        // LOGIN_IP_MAX_FAILURES
    std::chrono::seconds address_window{600};  // LOGIN_IP_WINDOW_SECONDS
    std::chrono::hours forget_after{24};       // a quiet account/address starts afresh after this
};

/// The wait after `failures` consecutive failures: zero below free_failures, then first_delay doubling per
/// failure, capped at max_delay. E.g. 5 -> 1 s, 6 -> 2 s, 7 -> 4 s, ..., 15 and more -> 15 min.
std::chrono::milliseconds FailureDelay(int64_t failures, const LoginThrottleSettings& settings);

/// Whether a login may be checked now; when not, how long to wait and why.
struct LoginVerdict {
    enum class Reason { kNone, kAccount, kAddress };
    bool allowed = true;
    Reason reason = Reason::kNone;
    int64_t retry_after_seconds = 0;  // >= 1 when refused (rounded up)
    /// "Too many failed logins for this account from your network: try again in 12 seconds" (for the login page).
    std::string message;
};

/// "1 second", "42 seconds", "15 minutes": a wait in words (minutes from 120 s on, rounded up).
std::string WaitInWords(int64_t seconds);

class LoginThrottle {
  public:
    /// The wall clock as Unix milliseconds (injected in tests).
    using Clock = std::function<int64_t()>;
    LoginThrottle(storage::Store& store, LoginThrottleSettings settings, Clock clock);

    /// The key for an e-mail as typed: lower-cased ASCII, so "Admin@X" and "admin@x" share one record.
    static std::string AccountKey(std::string_view email);

    /// May (email, address) try a password now? Reads the shared state; errors are the store's.
    core::Result<LoginVerdict> Check(std::string_view email, const std::string& address);
    /// A wrong password (or unknown account): counts for (email, address) and for the address.
    core::Result<void> RecordFailure(std::string_view email, const std::string& address);
    /// A right password: forgets the failures of (email, address). The address's window is kept.
    core::Result<void> RecordSuccess(std::string_view email, const std::string& address);

    const LoginThrottleSettings& settings() const { return settings_; }

  private:
    /// Deletes rows that no longer matter, at most once a minute per process.
    void MaybePrune(int64_t now_ms);

    storage::Store& store_;
    LoginThrottleSettings settings_;
    Clock clock_;
    std::atomic<int64_t> next_prune_ms_{0};
};

}  // namespace haven::service
