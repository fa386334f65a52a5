#pragma once
// A small bound on password hashing. Each argon2id hash takes ~64 MiB and a core for ~0.1 s, so a burst of logins
// must not hash all at once: at most `concurrency` hashes run, at most `queue` more wait for a slot, and anyone
// beyond that is turned away at once (the login answers 429 with Retry-After: 1) instead of piling up memory and
// CPU that health checks and Daraja's callbacks need.
#include <atomic>
#include <optional>
#include <semaphore>

namespace haven::service {

class HashGate {
public:
    /// concurrency >= 1 hashes at once; queue >= 0 callers may wait for a slot.
    HashGate(int concurrency, int queue);
    HashGate(const HashGate&) = delete;
    HashGate& operator=(const HashGate&) = delete;

    /// Holds one hashing slot; gives it back when destroyed.
    class Permit {
    public:
        Permit(Permit&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
        Permit& operator=(Permit&&) = delete;
        ~Permit();

    private:
        friend class HashGate;
        explicit Permit(HashGate* gate) : gate_(gate) {}
        HashGate* gate_;
    };

    /// A permit once a slot is free (waiting in the queue meanwhile), or nullopt at once when `concurrency`
    /// hashes already run and `queue` callers already wait. Blocking: call it from a worker thread.
    std::optional<Permit> TryEnter();

    int concurrency() const { return concurrency_; }
    int queue() const { return queue_; }
    /// Callers holding or waiting for a slot (for tests and metrics).
    int admitted() const { return admitted_.load(); }

private:
    const int concurrency_;
    const int queue_;
    std::atomic<int> admitted_{0};
    std::counting_semaphore<> slots_;
};

}  // namespace haven::service
