#include "api/api_key_usage.hpp"

#include <string>

namespace haven::api {

ApiKeyUsage::ApiKeyUsage(int64_t per_minute)
    : limiter_(static_cast<double>(per_minute) / 60.0, static_cast<double>(per_minute)) {}

int ApiKeyUsage::Take(int64_t key_id) { return limiter_.Enabled() ? limiter_.Take(std::to_string(key_id)) : 0; }

bool ApiKeyUsage::ShouldTouch(int64_t key_id, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = touched_.try_emplace(key_id, now);
    if (inserted) return true;
    if (now - it->second < std::chrono::minutes(1)) return false;
    it->second = now;
    return true;
}

}  // namespace haven::api
