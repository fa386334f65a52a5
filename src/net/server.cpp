// The listener (STYLE.md P2: it never dies, a connection cap, a live count), the order of the middleware
// chain, and the server's own error answers. The session loop is session.cpp, dispatch is dispatch.cpp.
#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <stdexcept>

#include "net/error_response.hpp"
#include "net/server_impl.hpp"

namespace haven::net {
namespace {

// The cross-cutting steps, outermost first: each sees the request before the ones below it and the
// answer after them.
std::vector<Middleware> Steps(Server::Impl& s) {
    const ServerOptions& o = s.options;
    std::vector<Middleware> steps;
    if (s.request_metrics) steps.push_back(CountRequests(*s.request_metrics));  // every answer, timed from the top
    if (o.access_log) steps.push_back(AccessLog(o.name, o.quiet_paths));        // every answer, whoever made it
    steps.push_back(RequestId());                                               // before anything that can answer
    steps.push_back(SecurityHeaders(o.security_headers, o.content_security_policy));
    steps.push_back(Cors(o.cors_allowed_origins));  // a preflight is answered here and costs no token
    if (s.limiter.Enabled()) {
        auto error = [&s](core::ErrorCode code, const std::string& message, const std::string& request_id) {
            return s.ServerError(code, message, request_id);
        };
        steps.push_back(RateLimit(s.limiter, o.rate_limit_exempt, std::move(error)));
    }
    return steps;
}

}  // namespace

Server::Impl::Impl(Runtime& runtime, const Router& router, ServerOptions options)
    : runtime(runtime),
      rt(runtime.impl()),
      router(router),
      options(std::move(options)),
      acceptor(rt.io),
      limiter(this->options.rate_limit_per_second, this->options.rate_limit_burst),
      request_metrics(this->options.metrics ? std::make_unique<RequestMetrics>(*this->options.metrics) : nullptr),
      chain(Steps(*this), [this](Request& req) { return Dispatch(req); }) {}

Response Server::Impl::ServerError(core::ErrorCode code, const std::string& message,
                                   const std::string& request_id) const {
    if (!options.error_body) return ErrorResponse(core::Error::Make(code, message), request_id);
    const HttpError http = ToHttp(code);
    return options.error_body(http.status, std::string(http.code), message, request_id);
}

Response Server::Impl::InternalError(const std::string& request_id) const {
    return ServerError(core::ErrorCode::kInternal, "internal error (request id " + request_id + ")", request_id);
}

asio::awaitable<void> Server::Impl::Listen() {
    auto self = shared_from_this();
    asio::steady_timer backoff(rt.io);
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping.load() || !acceptor.is_open()) co_return;
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            // out of descriptors and the like: log, wait a little, go on (the listener never dies)
            spdlog::warn("{}: accept failed: {}", options.name, ec.message());
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (live.load() >= options.max_connections) {
            spdlog::warn("{}: connection cap {} reached, closing new connection", options.name,
                         options.max_connections);
            socket.close(ec);
            continue;
        }
        ++live;
        auto on_done = LogOnError("http session");
        asio::co_spawn(rt.io, Session(std::move(socket)), std::move(on_done));
    }
}

Server::Server(Runtime& runtime, const Router& router, ServerOptions options)
    : impl_(std::make_shared<Impl>(runtime, router, std::move(options))) {}

Server::~Server() { Stop(); }

uint16_t Server::Start() {
    auto& o = impl_->options;
    if (!o.tls_cert_file.empty() && !o.tls_key_file.empty()) {
        try {
            impl_->ssl_ctx.emplace(asio::ssl::context::tls_server);
            impl_->ssl_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                                        asio::ssl::context::no_tlsv1_1);
            impl_->ssl_ctx->use_certificate_chain_file(o.tls_cert_file);
            impl_->ssl_ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem);
        } catch (const std::exception& e) {
            impl_->ssl_ctx.reset();
            throw std::runtime_error(o.name + ": cannot load TLS certificate/key: " + e.what());
        }
    }
    if (!o.web_root.empty() && !impl_->static_files.Open(o.web_root)) {
        spdlog::warn("{}: web root {} is not a directory; static files disabled", o.name, o.web_root);
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
    if (ec) {
        // a host name: Start() runs off the I/O thread, so a blocking lookup is fine here
        tcp::resolver resolver(impl_->rt.io);
        auto results = resolver.resolve(o.host, std::to_string(o.port), ec);
        if (ec || results.empty()) throw std::runtime_error(o.name + ": bad listen address " + o.host);
        address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, o.port);
    auto& acceptor = impl_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        acceptor.close();
        throw std::runtime_error(o.name + ": cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                                 ec.message());
    }
    impl_->port = acceptor.local_endpoint().port();
    impl_->runtime.Start();  // idempotent; the listener needs the I/O thread
    asio::co_spawn(impl_->rt.io, impl_->Listen(), LogOnError("http listener"));
    spdlog::info("{}: listening on {}://{}:{}", o.name, impl_->ssl_ctx ? "https" : "http", o.host, impl_->port.load());
    return impl_->port;
}

void Server::Stop() {
    if (impl_->stopping.exchange(true)) return;
    auto impl = impl_;
    auto close_all = [impl]() {
        boost::system::error_code ec;
        impl->acceptor.close(ec);
        for (auto& [id, socket] : impl->sessions) {
            socket->shutdown(tcp::socket::shutdown_both, ec);
            socket->close(ec);
        }
    };
    if (impl_->rt.OnIoThread() || !impl_->rt.running.load()) {
        close_all();
        return;
    }
    std::promise<void> done;
    auto future = done.get_future();
    asio::post(impl_->rt.io, [close_all, &done]() {
        close_all();
        done.set_value();
    });
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return;
    // drain: sessions end once their pending operation is cancelled (a running handler finishes first)
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (impl_->live.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

uint16_t Server::Port() const { return impl_->port; }

int Server::LiveConnections() const { return impl_->live.load(); }

}  // namespace haven::net
