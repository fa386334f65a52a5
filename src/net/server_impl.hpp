#pragma once
// Private to net/: the server's state, shared by the listener (server.cpp), the session loop (session.cpp)
// and dispatch to handlers (dispatch.cpp). Includes Asio/Beast, so keep it out of other folders.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/middleware.hpp"
#include "net/rate_limiter.hpp"
#include "net/runtime_impl.hpp"
#include "net/server.hpp"
#include "net/static_files.hpp"

namespace haven::net {

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(Runtime& runtime, const Router& router, ServerOptions options);

    Runtime& runtime;
    Runtime::Impl& rt;
    const Router& router;
    ServerOptions options;
    tcp::acceptor acceptor;
    std::optional<asio::ssl::context> ssl_ctx;
    RateLimiter limiter;
    StaticFiles static_files;                         // opened by Start(); serves nothing until then
    std::unique_ptr<RequestMetrics> request_metrics;  // when options.metrics is set; before `chain`, which uses it
    MiddlewareChain chain;                            // every parsed request goes through it; built in the constructor
    std::atomic<uint16_t> port{0};
    std::atomic<int> live{0};
    std::atomic<bool> stopping{false};
    // Sockets of live sessions, touched only on the I/O thread.
    uint64_t next_session_id = 0;
    std::unordered_map<uint64_t, tcp::socket*> sessions;

    /// The server's own error answers (404, 405, 413, 429, 500, ...): net::ErrorResponse with the request id,
    /// or options.error_body when set.
    Response ServerError(core::ErrorCode code, const std::string& message, const std::string& request_id) const;
    /// 500 naming the request id, for a handler that threw or never answered.
    Response InternalError(const std::string& request_id) const;

    asio::awaitable<void> Listen();                     // server.cpp: accepts until stopped
    asio::awaitable<void> Session(tcp::socket socket);  // session.cpp: one connection, P1 loop
    /// dispatch.cpp: the end of the middleware chain. Runs the route's handler on its lane's pool (or the
    /// static-file fallback on the worker pool); one catch-all turns an escaped exception into a 500.
    asio::awaitable<Response> Dispatch(Request& req);

  private:
    asio::awaitable<Response> Route(Request& req);
    asio::awaitable<Response> RunAsync(const AsyncHandler& handler, Request& req, asio::thread_pool& pool);
};

}  // namespace haven::net
