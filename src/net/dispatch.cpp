// The end of the middleware chain: the route's handler (or the static-file fallback) on the worker pool.
#include <spdlog/spdlog.h>

#include "net/server_impl.hpp"
#include "net/target.hpp"

namespace haven::net {

asio::awaitable<Response> Server::Impl::Dispatch(Request& req) {
    // The one catch-all (STYLE.md errors): answered here, inside the chain, so the 500 still carries the
    // request id and the security headers.
    try {
        co_return co_await Route(req);
    } catch (const std::exception& e) {
        spdlog::error("{}: dispatch failed: {} (request id {})", options.name, e.what(), req.request_id);
    }
    co_return InternalError(req.request_id);
}

asio::awaitable<Response> Server::Impl::Route(Request& req) {
    auto match = router.Find(req.method, req.path);
    if (match.kind == Router::MatchKind::kWrongMethod && req.method == "HEAD") {
        auto get = router.Find("GET", req.path);
        if (get.kind == Router::MatchKind::kFound) match = std::move(get);
    }
    if (match.kind == Router::MatchKind::kWrongMethod) {
        const std::string message = "method " + req.method + " not allowed here";
        Response res = ServerError(core::ErrorCode::kMethodNotAllowed, message, req.request_id);
        res.headers["Allow"] = match.allow;
        co_return res;
    }
    if (match.kind == Router::MatchKind::kNotFound) {
        if ((req.method != "GET" && req.method != "HEAD") || !static_files.Enabled()) {
            co_return ServerError(core::ErrorCode::kNotFound, "no route for " + MaskDarajaHookSecret(req.path),
                                  req.request_id);
        }
        req.route = kStaticRoute;
        auto serve = [this, &req]() {
            auto file = static_files.Serve(req.path);
            return file ? std::move(*file) : ServerError(core::ErrorCode::kNotFound, "not found", req.request_id);
        };
        co_return co_await RunBlocking(rt.pool, std::move(serve));
    }
    req.params = std::move(match.params);
    req.route = *match.pattern;
    // Daraja's routes run on their own pool, so its callbacks never wait behind our own requests.
    asio::thread_pool& pool = rt.PoolFor(match.lane);
    if (match.async_handler) co_return co_await RunAsync(*match.async_handler, req, pool);
    const Handler* handler = match.handler;
    // raw `this`: the session coroutine holds a shared_ptr for as long as we run
    Impl* self = this;
    auto run = [self, handler, &req]() -> Response {
        try {
            return (*handler)(req);
        } catch (const std::exception& e) {
            spdlog::error("{}: handler for {} {} threw: {} (request id {})", self->options.name, req.method,
                          MaskDarajaHookSecret(req.path), e.what(), req.request_id);
        } catch (...) {
            spdlog::error("{}: handler for {} {} threw a non-standard exception (request id {})", self->options.name,
                          req.method, MaskDarajaHookSecret(req.path), req.request_id);
        }
        return self->InternalError(req.request_id);
    };
    co_return co_await RunBlocking(pool, std::move(run));
}

// Starts an AsyncHandler on its lane's pool and waits, without holding any thread, for its Reply; the
// Reply may come from any thread and resumes this coroutine on its own executor.
asio::awaitable<Response> Server::Impl::RunAsync(const AsyncHandler& handler, Request& req, asio::thread_pool& pool) {
    Impl* self = this;  // the session coroutine holds a shared_ptr for as long as we wait
    auto unanswered = [self, id = req.request_id]() {
        spdlog::error("{}: a handler dropped its reply without answering (request id {})", self->options.name, id);
        return self->InternalError(id);
    };
    auto initiate = [self, &handler, &req, &pool, unanswered](auto completion) {
        using Completion = decltype(completion);
        auto held = std::make_shared<Completion>(std::move(completion));
        Reply reply(
            [held](Response res) {
                auto ex = asio::get_associated_executor(*held);
                asio::post(ex, [held, res = std::move(res)]() mutable { (*held)(std::move(res)); });
            },
            unanswered);
        asio::post(pool, [self, &handler, &req, reply]() {
            try {
                handler(req, reply);
            } catch (const std::exception& e) {
                spdlog::error("{}: handler for {} {} threw: {} (request id {})", self->options.name, req.method,
                              MaskDarajaHookSecret(req.path), e.what(), req.request_id);
                reply(self->InternalError(req.request_id));
            } catch (...) {
                reply(self->InternalError(req.request_id));
            }
        });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(std::move(initiate),
                                                                                           asio::use_awaitable);
}

}  // namespace haven::net
