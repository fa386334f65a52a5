#pragma once
// The process's event loop and worker pool, hidden behind a Beast-free facade.
// One io_context runs on one I/O thread (sockets, timers); handlers and all blocking work
// (SQLite, libpq, argon2id, RSA, outbound HTTP waits) run on the worker pool, never on the I/O thread.
#include <chrono>
#include <functional>
#include <memory>

namespace haven::net {

class Runtime {
public:
    explicit Runtime(int worker_threads = 8);
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

    struct Impl;
    Impl& impl() { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace haven::net
