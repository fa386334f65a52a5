#include "service/login_throttle.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace haven::service {

namespace {

constexpr int64_t kPruneEveryMs = int64_t{60} * 1000;

int64_t CeilSeconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }

}  // namespace

std::chrono::milliseconds FailureDelay(int64_t failures, const LoginThrottleSettings& settings) {
    if (failures < settings.free_failures) return std::chrono::milliseconds(0);
    // Double per failure without overflowing: stop as soon as the cap is reached.
    auto delay = settings.first_delay;
    for (int64_t n = settings.free_failures; n < failures && delay < settings.max_delay; ++n) delay *= 2;
    return std::min(delay, settings.max_delay);
}

std::string WaitInWords(int64_t seconds) {
    if (seconds < 120) return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
    return std::to_string((seconds + 59) / 60) + " minutes";
}

LoginThrottle::LoginThrottle(storage::Store& store, LoginThrottleSettings settings, Clock clock)
    : store_(store), settings_(settings), clock_(std::move(clock)) {}

std::string LoginThrottle::AccountKey(std::string_view email) {
    std::string key(email);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return key;
}

core::Result<LoginVerdict> LoginThrottle::Check(std::string_view email, const std::string& address) {
    const int64_t now = clock_();
    auto account = store_.FindLoginFailures(AccountKey(email), address);
    if (!account) return tl::unexpected(account.error());
    const int64_t forget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.forget_after).count();
    if (account->failures > 0 && account->last_failure_at_ms >= now - forget_ms) {
        const int64_t until = account->last_failure_at_ms + FailureDelay(account->failures, settings_).count();
        if (now < until) {
            const int64_t wait = CeilSeconds(until - now);
            return LoginVerdict{
                false, LoginVerdict::Reason::kAccount, wait,
                "Too many failed logins for this account from your network: try again in " + WaitInWords(wait)};
        }
    }
    if (settings_.address_max_failures > 0) {
        const int64_t window_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(settings_.address_window).count();
        auto recent = store_.CountAddressLoginFailures(address, now - window_ms);
        if (!recent) return tl::unexpected(recent.error());
        if (recent->count >= settings_.address_max_failures) {
            // The window frees a place when its oldest failure leaves it.
            const int64_t wait = CeilSeconds(recent->oldest_at_ms + window_ms - now);
            return LoginVerdict{false, LoginVerdict::Reason::kAddress, wait,
                                "Too many failed logins from your network: try again in " + WaitInWords(wait)};
        }
    }
    return LoginVerdict{};
}

core::Result<void> LoginThrottle::RecordFailure(std::string_view email, const std::string& address) {
    const int64_t now = clock_();
    const int64_t forget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.forget_after).count();
    auto recorded = store_.RecordLoginFailure(AccountKey(email), address, now, now - forget_ms);
    if (!recorded) return tl::unexpected(recorded.error());
    MaybePrune(now);
    return {};
}

core::Result<void> LoginThrottle::RecordSuccess(std::string_view email, const std::string& address) {
    return store_.ClearLoginFailures(AccountKey(email), address);
}

void LoginThrottle::MaybePrune(int64_t now_ms) {
    int64_t due = next_prune_ms_.load();
    if (now_ms < due || !next_prune_ms_.compare_exchange_strong(due, now_ms + kPruneEveryMs)) return;
    const int64_t forget_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.forget_after).count();
    const int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.address_window).count();
    auto pruned = store_.PruneLoginFailures(now_ms - forget_ms, now_ms - window_ms);
    if (!pruned) spdlog::warn("login throttle: pruning old rows failed: {}", pruned.error().message);
}

}  // namespace haven::service
