#pragma once
// A token bucket per client IP (the server's 429). Beast-free, so it is tested without a socket.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace haven::net {

class RateLimiter {
  public:
    /// `rate` tokens per second, at most `burst` saved up (at least one, and at least `rate` when 0).
    RateLimiter(double rate, double burst);
    /// False when rate is 0: the limit is off.
    bool Enabled() const { return rate_ > 0; }
    /// Returns 0 when a token was taken, else the seconds to wait (>= 1).
    int Take(const std::string& ip);

  private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    void Prune(std::chrono::steady_clock::time_point now);

    double rate_;
    double burst_;
    // Only the I/O thread calls Take today; the mutex keeps it correct if that changes.
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace haven::net
