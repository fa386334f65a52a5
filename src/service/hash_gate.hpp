#pragma once
// A small bound on password hashing. Each argon2id hash takes ~64 MiB and a core for ~0.1 s, so a burst of logins
// must not hash all at once: at most `concurrency` hashes run, at most `queue` more wait for a slot, and anyone
// beyond that is turned away at once (the login answers 429 with Retry-After: 1) instead of piling up memory and
// CPU that health checks and Daraja's callbacks need. Hashes run on the gate's own `concurrency` threads (Submit),
// so neither a running nor a waiting login holds one of the few worker threads.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>
#include <vector>

namespace haven::service {

class HashGate {
  public:
    /// concurrency >= 1 hashes at once; queue >= 0 callers may wait for a slot.
    HashGate(int concurrency, int queue);
    /// Stop()s.
    ~HashGate();
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

    /// Runs `work` (the hash) on the gate's own threads once a slot is free, then gives the slot back and runs
    /// `then` (the answer) on the same thread, so a caller who hears the answer and tries again at once finds the
    /// slot free. Returns false at once when `concurrency` hashes already run and `queue` already wait. Never blocks
    /// the caller.
    bool Submit(std::function<void()> work, std::function<void()> then = {});
    /// Runs the work already submitted, then stops the gate's threads (later Submits are refused). Idempotent.
    void Stop();

    int concurrency() const { return concurrency_; }
    int queue() const { return queue_; }
    /// Callers holding or waiting for a slot (for tests and metrics).
    int admitted() const { return admitted_.load(); }

  private:
    const int concurrency_;
    const int queue_;
    std::atomic<int> admitted_{0};
    std::counting_semaphore<> slots_;

    void Work();
    std::mutex mutex_;
    std::condition_variable wake_;
    struct Job {
        std::function<void()> work;
        std::function<void()> then;
    };
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace haven::service
