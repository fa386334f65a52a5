#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace haven::net {
namespace {
constexpr size_t kMaxRateBuckets = 10000;
}  // namespace

RateLimiter::RateLimiter(double rate, double burst) : rate_(rate), burst_(burst > 0 ? burst : std::max(1.0, rate)) {}

int RateLimiter::Take(const std::string& ip) {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (buckets_.size() > kMaxRateBuckets) Prune(now);
    auto [it, inserted] = buckets_.try_emplace(ip, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!inserted) {
        double elapsed = std::chrono::duration<double>(now - b.last).count();
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.last = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return 0;
    }
    return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
}

// Drops the buckets that are full again (their IP would start afresh anyway), so a scan of many
// addresses cannot grow the map without bound.
void RateLimiter::Prune(std::chrono::steady_clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        double elapsed = std::chrono::duration<double>(now - it->second.last).count();
        if (it->second.tokens + elapsed * rate_ >= burst_) {
            it = buckets_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace haven::net
