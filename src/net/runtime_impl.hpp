#pragma once
// Private to net/ and sim/: what the server and client need from the Runtime (io_context, pool),
// plus RunBlocking (STYLE.md P6). Includes Asio/Beast, so keep it out of other folders.
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "net/asio.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"

namespace haven::net {

struct Runtime::Impl {
    Impl(int worker_threads, int daraja_threads)
        : pool(static_cast<std::size_t>(worker_threads > 0 ? worker_threads : 1)),
          daraja_pool(static_cast<std::size_t>(daraja_threads > 0 ? daraja_threads : 1)) {}

    asio::io_context io;
    asio::thread_pool pool;
    asio::thread_pool daraja_pool;  // Lane::kDaraja handlers only
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread io_thread;
    std::atomic<std::thread::id> io_thread_id{};
    std::atomic<bool> running{false};
    std::mutex mu;
    bool started = false;
    bool stopped = false;

    asio::thread_pool& PoolFor(Lane lane) { return lane == Lane::kDaraja ? daraja_pool : pool; }

    /// True when called from the I/O thread (blocking there would deadlock the process).
    bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id.load(); }
};

/// Runs f on the worker pool and resumes the awaiting coroutine on its own executor (STYLE.md P6).
/// An exception thrown by f is rethrown at the co_await.
///
/// g++ 12 BUG: a lambda temporary written inside a co_await expression is destroyed TWICE (double free of
/// its captures). Never write `co_await RunBlocking(pool, [x] {...})`; name it first:
///     auto work = [x] { ... };
///     auto value = co_await RunBlocking(pool, std::move(work));
template <class F>
asio::awaitable<std::invoke_result_t<F>> RunBlocking(asio::thread_pool& pool, F f) {
    using R = std::invoke_result_t<F>;
    auto task = [f = std::move(f)]() mutable -> asio::awaitable<R> { co_return f(); };
    co_return co_await asio::co_spawn(pool.get_executor(), std::move(task), asio::use_awaitable);
}

/// Completion handler for co_spawn that logs an escaped exception instead of swallowing it (Boost trap 2).
void LogSpawnException(const char* what, std::exception_ptr e);
inline auto LogOnError(const char* what) {
    return [what](std::exception_ptr e) { LogSpawnException(what, e); };
}

}  // namespace haven::net
