#include "net/runtime.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>

#include "net/runtime_impl.hpp"

namespace haven::net {

void LogSpawnException(const char* what, std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        spdlog::error("{}: unhandled exception: {}", what, ex.what());
    } catch (...) {
        spdlog::error("{}: unhandled non-standard exception", what);
    }
}

namespace {

std::function<void()> Guarded(std::function<void()> fn) {
    // An exception escaping a pool thread would terminate the process: log it instead.
    return [fn = std::move(fn)]() {
        try {
            fn();
        } catch (...) {
            LogSpawnException("worker task", std::current_exception());
        }
    };
}

}  // namespace

Runtime::Runtime(int worker_threads, int daraja_threads)
    : impl_(std::make_unique<Impl>(worker_threads, daraja_threads)) {}

Runtime::~Runtime() { Stop(); }

void Runtime::Start() {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) return;
    impl_->started = true;
    impl_->work.emplace(impl_->io.get_executor());
    impl_->running = true;
    impl_->io_thread = std::thread([impl = impl_.get()] {
        impl->io_thread_id = std::this_thread::get_id();
        for (;;) {
            try {
                impl->io.run();
                break;
            } catch (...) {
                // A throwing handler must not take the whole I/O thread down.
                LogSpawnException("io_context", std::current_exception());
            }
        }
        impl->running = false;
    });
}

void Runtime::Stop() {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->work.reset();
    impl_->io.stop();
    if (impl_->io_thread.joinable()) {
        if (impl_->OnIoThread()) {
            impl_->io_thread.detach();
        } else {
            impl_->io_thread.join();
        }
    }
    impl_->running = false;
    impl_->pool.stop();
    impl_->daraja_pool.stop();
    impl_->pool.join();
    impl_->daraja_pool.join();
}

void Runtime::Post(std::function<void()> fn) { asio::post(impl_->pool, Guarded(std::move(fn))); }

void Runtime::OnIoAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
    timer->async_wait([timer, fn = Guarded(std::move(fn))](const boost::system::error_code& ec) {
        if (!ec) fn();
    });
}

void Runtime::PostAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
    timer->async_wait([timer, impl = impl_.get(), fn = Guarded(std::move(fn))](const boost::system::error_code& ec) {
        if (ec) return;
        asio::post(impl->pool, fn);
    });
}

}  // namespace haven::net
