#pragma once
// The process's event loop and worker pool, hidden behind a Beast-free facade.
// One io_context runs on one I/O thread (sockets, timers); handlers and all blocking work
// (SQLite, libpq, argon2id, RSA, outbound HTTP waits) run on the worker pool, never on the I/O thread.
// Handlers of routes on Lane::kDaraja (router.hpp) run on a second small pool of their own.
#include <chrono>
#include <functional>
#include <memory>

namespace haven::net {

class Runtime {
  public:
    /// `daraja_threads` serve only Lane::kDaraja routes, so Daraja's callbacks never queue behind our own
    /// requests when the worker pool is busy.
    explicit Runtime(int worker_threads = 8, int daraja_threads = 2);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    /// Starts the I/O thread. Idempotent.
    void Start();
    /// Stops timers, the I/O thread and the pool; waits for them.
    void Stop();

    /// Runs fn on the worker pool.
    void Post(std::function<void()> fn);
    /// Runs fn on the worker pool after delay (a steady_timer on the I/O thread).
    void PostAfter(std::chrono::milliseconds delay, std::function<void()> fn);
    /// Runs fn on the I/O thread after delay: for a deadline that must fire even while every worker is busy
    /// (fn must not block).
    void OnIoAfter(std::chrono::milliseconds delay, std::function<void()> fn);

    struct Impl;
    Impl& impl() { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace haven::net
