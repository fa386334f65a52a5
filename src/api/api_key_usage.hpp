#pragma once
// Per-key bookkeeping for API-key callers, in memory: the rate limit (a token bucket per key id,
// API_KEY_RATE_PER_MINUTE) and when last_used_at was last written (at most once a minute per key, so a busy key
// costs no write per request).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "net/rate_limiter.hpp"

namespace haven::api {

class ApiKeyUsage {
  public:
    /// `per_minute` requests a minute per key, a minute's worth saved up; 0 turns the limit off.
    explicit ApiKeyUsage(int64_t per_minute);

    /// 0 when the key may make this request, else the seconds to wait (>= 1).
    int Take(int64_t key_id);

    /// True when last_used_at should be written now (never written, or a minute or more ago); the call records it.
    bool ShouldTouch(int64_t key_id, std::chrono::steady_clock::time_point now);

  private:
    net::RateLimiter limiter_;
    std::mutex mu_;
    std::unordered_map<int64_t, std::chrono::steady_clock::time_point> touched_;
};

}  // namespace haven::api
