#include "net/server.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/phone.hpp"
#include "net/runtime_impl.hpp"
#include "net/target.hpp"

namespace haven::net {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kTlsHandshakeTimeout{10};
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr size_t kDrainMaxBytes = 16 * 1024 * 1024;
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kMaxRequestIdLength = 64;
constexpr size_t kMaxRateBuckets = 10000;
constexpr size_t kMaxStaticFileBytes = 32 * 1024 * 1024;

bool ValidRequestId(const std::string& id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

std::string NewRequestId() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        static std::atomic<uint64_t> counter{0};
        uint64_t n = ++counter;
        auto now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        std::memcpy(bytes, &n, 8);
        std::memcpy(bytes + 8, &now, 8);
    }
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(32);
    for (unsigned char b : bytes) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

const char* ErrorCodeFor(int status) {
    switch (status) {
        case 400:
            return "BAD_REQUEST";
        case 404:
            return "NOT_FOUND";
        case 405:
            return "METHOD_NOT_ALLOWED";
        case 413:
            return "PAYLOAD_TOO_LARGE";
        case 431:
            return "HEADERS_TOO_LARGE";
        case 429:
            return "RATE_LIMITED";
        case 503:
            return "UNAVAILABLE";
        default:
            return "INTERNAL_ERROR";
    }
}

std::string ContentTypeFor(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".json") return "application/json; charset=utf-8";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".woff2") return "font/woff2";
    return "application/octet-stream";
}

// Token bucket per client IP. Only touched from the I/O thread, the mutex is for safety under future changes.
class RateLimiter {
public:
    RateLimiter(double rate, double burst) : rate_(rate), burst_(burst > 0 ? burst : std::max(1.0, rate)) {}
    bool Enabled() const { return rate_ > 0; }

    /// Returns 0 when a token was taken, else the seconds to wait (>= 1).
    int Take(const std::string& ip) {
        std::lock_guard lock(mu_);
        auto now = std::chrono::steady_clock::now();
        if (buckets_.size() > kMaxRateBuckets) Prune(now);
        auto [it, inserted] = buckets_.try_emplace(ip, Bucket{burst_, now});
        Bucket& b = it->second;
        if (!inserted) {
            double elapsed = std::chrono::duration<double>(now - b.last).count();
            b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
            b.last = now;
        }
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return 0;
        }
        return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
    }

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    void Prune(std::chrono::steady_clock::time_point now) {
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            double elapsed = std::chrono::duration<double>(now - it->second.last).count();
            if (it->second.tokens + elapsed * rate_ >= burst_) {
                it = buckets_.erase(it);
            } else {
                ++it;
            }
        }
    }
    double rate_;
    double burst_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(Runtime& runtime, const Router& router, ServerOptions options)
        : runtime(runtime),
          rt(runtime.impl()),
          router(router),
          options(std::move(options)),
          acceptor(rt.io),
          limiter(this->options.rate_limit_per_second, this->options.rate_limit_burst) {}

    Runtime& runtime;
    Runtime::Impl& rt;
    const Router& router;
    ServerOptions options;
    tcp::acceptor acceptor;
    std::optional<asio::ssl::context> ssl_ctx;
    RateLimiter limiter;
    fs::path web_root;  // canonical; empty = no static files
    std::atomic<uint16_t> port{0};
    std::atomic<int> live{0};
    std::atomic<bool> stopping{false};
    // Sockets of live sessions, touched only on the I/O thread.
    uint64_t next_session_id = 0;
    std::unordered_map<uint64_t, tcp::socket*> sessions;

    Response ErrorResponse(int status, const std::string& message, const std::string& request_id) const {
        const std::string code = ErrorCodeFor(status);
        if (options.error_body) return options.error_body(status, code, message, request_id);
        nlohmann::json body = {{"success", false},
                               {"error", {{"code", code}, {"message", message}, {"request_id", request_id}}}};
        return Response::Json(status, body);
    }

    bool CorsAllowed(const std::string& origin) const {
        return std::find(options.cors_allowed_origins.begin(), options.cors_allowed_origins.end(), origin) !=
               options.cors_allowed_origins.end();
    }

    void ApplyDefaults(Response& res, const std::string& request_id) const {
        auto set_default = [&res](const char* name, const std::string& value) {
            if (res.headers.find(name) == res.headers.end()) res.headers[name] = value;
        };
        if (options.security_headers) {
            set_default("Content-Security-Policy", options.content_security_policy);
            set_default("X-Frame-Options", "DENY");
            set_default("X-Content-Type-Options", "nosniff");
            set_default("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
            set_default("Referrer-Policy", "no-referrer");
            set_default("Cross-Origin-Opener-Policy", "same-origin");
        }
        res.headers.erase("X-Powered-By");
        res.headers.erase("Server");
        res.headers["Request-Id"] = request_id;
    }

    Response ServeStatic(const Request& req) const {
        if (web_root.empty()) return ErrorResponse(404, "no route for " + req.path, req.request_id);
        auto found = ResolveStaticPath(web_root, req.path);
        if (!found) return ErrorResponse(404, "not found", req.request_id);
        const fs::path& candidate = *found;
        std::error_code ec;
        auto size = fs::file_size(candidate, ec);
        if (ec || size > kMaxStaticFileBytes) return ErrorResponse(404, "not found", req.request_id);
        std::ifstream in(candidate, std::ios::binary);
        if (!in) return ErrorResponse(404, "not found", req.request_id);
        std::ostringstream data;
        data << in.rdbuf();
        Response res = Response::Text(200, data.str(), ContentTypeFor(candidate));
        res.headers["Cache-Control"] = "no-cache";
        return res;
    }

    // Runs the handler (or the static-file fallback) on the worker pool; one catch-all -> 500.
    asio::awaitable<Response> Dispatch(Request& req) {
        auto match = router.Find(req.method, req.path);
        if (match.kind == Router::MatchKind::kWrongMethod && req.method == "HEAD") {
            auto get = router.Find("GET", req.path);
            if (get.kind == Router::MatchKind::kFound) match = std::move(get);
        }
        if (match.kind == Router::MatchKind::kWrongMethod) {
            Response res = ErrorResponse(405, "method " + req.method + " not allowed here", req.request_id);
            res.headers["Allow"] = match.allow;
            co_return res;
        }
        if (match.kind == Router::MatchKind::kNotFound) {
            if (req.method != "GET" && req.method != "HEAD") {
                co_return ErrorResponse(404, "no route for " + req.path, req.request_id);
            }
            if (web_root.empty()) co_return ErrorResponse(404, "no route for " + req.path, req.request_id);
            auto serve = [this, &req]() { return ServeStatic(req); };
            co_return co_await RunBlocking(rt.pool, std::move(serve));
        }
        req.params = std::move(match.params);
        if (match.async_handler) co_return co_await DispatchAsync(*match.async_handler, req);
        const Handler* handler = match.handler;
        // raw `this`: the session coroutine holds a shared_ptr for as long as we run
        Impl* self = this;
        auto run = [self, handler, &req]() -> Response {
            try {
                return (*handler)(req);
            } catch (const std::exception& e) {
                spdlog::error("{}: handler for {} {} threw: {} (request id {})", self->options.name, req.method,
                              req.path, e.what(), req.request_id);
            } catch (...) {
                spdlog::error("{}: handler for {} {} threw a non-standard exception (request id {})",
                              self->options.name, req.method, req.path, req.request_id);
            }
            return self->ErrorResponse(500, "internal error (request id " + req.request_id + ")", req.request_id);
        };
        co_return co_await RunBlocking(rt.pool, std::move(run));
    }

    // Starts an AsyncHandler on the worker pool and waits, without holding any thread, for its Reply; the
    // Reply may come from any thread and resumes this coroutine on its own executor.
    asio::awaitable<Response> DispatchAsync(const AsyncHandler& handler, Request& req) {
        Impl* self = this;  // the session coroutine holds a shared_ptr for as long as we wait
        auto unanswered = [self, id = req.request_id]() {
            spdlog::error("{}: a handler dropped its reply without answering (request id {})", self->options.name, id);
            return self->ErrorResponse(500, "internal error (request id " + id + ")", id);
        };
        auto initiate = [self, &handler, &req, unanswered](auto completion) {
            using Completion = decltype(completion);
            auto held = std::make_shared<Completion>(std::move(completion));
            Reply reply(
                [held](Response res) {
                    auto ex = asio::get_associated_executor(*held);
                    asio::post(ex, [held, res = std::move(res)]() mutable { (*held)(std::move(res)); });
                },
                unanswered);
            asio::post(self->rt.pool, [self, &handler, &req, reply]() {
                try {
                    handler(req, reply);
                } catch (const std::exception& e) {
                    spdlog::error("{}: handler for {} {} threw: {} (request id {})", self->options.name, req.method,
                                  req.path, e.what(), req.request_id);
                    reply(self->ErrorResponse(500, "internal error (request id " + req.request_id + ")",
                                              req.request_id));
                } catch (...) {
                    reply(self->ErrorResponse(500, "internal error (request id " + req.request_id + ")",
                                              req.request_id));
                }
            });
        };
        co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(std::move(initiate),
                                                                                              asio::use_awaitable);
    }

    static Request ToRequest(const bhttp::request<bhttp::string_body>& msg, const std::string& remote_ip) {
        Request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        auto q = req.target.find('?');
        req.path = PercentDecode(std::string_view(req.target).substr(0, q), false);
        if (q != std::string::npos) req.query = ParseQuery(std::string_view(req.target).substr(q + 1));
        for (const auto& field : msg) {
            std::string name(field.name_string());
            auto it = req.headers.find(name);
            if (it == req.headers.end()) {
                req.headers.emplace(std::move(name), std::string(field.value()));
            } else {
                it->second += ", ";
                it->second += std::string(field.value());
            }
        }
        req.body = msg.body();
        req.remote_ip = remote_ip;
        return req;
    }

    static std::string RawPath(std::string_view target) {
        // the log line never carries the query string: queries may carry secrets
        std::string path(target.substr(0, target.find('?')));
        for (char& c : path) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        }
        return path;
    }

    template <class Stream>
    asio::awaitable<bool> Write(Stream& stream, Response& res, bool keep_alive, bool head, unsigned version) {
        bhttp::response<bhttp::string_body> msg;
        msg.version(version);
        msg.result(static_cast<unsigned>(res.status));
        for (const auto& [name, value] : res.headers) msg.set(name, value);
        msg.body() = std::move(res.body);
        msg.keep_alive(keep_alive);
        msg.prepare_payload();
        if (head) msg.body().clear();  // Content-Length stays: it describes the GET answer
        beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
        boost::system::error_code ec;
        co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
        co_return !ec;
    }

    // After an early error answer (413) the client may still be sending: read and discard for a bit so the
    // peer sees our answer instead of a reset.
    template <class Stream>
    asio::awaitable<void> Drain(Stream& stream) {
        auto& sock = beast::get_lowest_layer(stream).socket();
        boost::system::error_code ec;
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) sock.shutdown(tcp::socket::shutdown_send, ec);
        beast::get_lowest_layer(stream).expires_after(kDrainTimeout);
        std::array<char, 16 * 1024> scratch;
        size_t total = 0;
        while (total < kDrainMaxBytes) {
            size_t n =
                co_await stream.async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            total += n;
        }
    }

    template <class Stream>
    asio::awaitable<void> Serve(Stream& stream, const std::string& remote_ip) {
        beast::flat_buffer buffer;
        boost::system::error_code ec;
        for (;;) {
            beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
            bhttp::request_parser<bhttp::string_body> parser;
            parser.body_limit(options.max_body_bytes);
            parser.header_limit(kHeaderLimit);
            co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
            const auto started = std::chrono::steady_clock::now();
            if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
                const bool body = ec == bhttp::error::body_limit;
                auto& msg = parser.get();
                std::string request_id = NewRequestId();
                Response res =
                    body ? ErrorResponse(
                               413, "request body is larger than " + std::to_string(options.max_body_bytes) + " bytes",
                               request_id)
                         : ErrorResponse(431, "request headers are too large", request_id);
                ApplyDefaults(res, request_id);
                int status = res.status;
                bool ok = co_await Write(stream, res, false, false, 11);
                Log(std::string(msg.method_string()), RawPath(msg.target()), status, started, request_id);
                if (ok) co_await Drain(stream);
                break;
            }
            if (ec) {
                // a malformed request (not a clean close) gets a 400 before we hang up
                if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                    ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                    std::string request_id = NewRequestId();
                    Response res = ErrorResponse(400, "malformed HTTP request", request_id);
                    ApplyDefaults(res, request_id);
                    co_await Write(stream, res, false, false, 11);
                }
                break;  // eof / timeout / reset: not an error
            }
            auto& msg = parser.get();
            Request req = ToRequest(msg, remote_ip);
            auto incoming = req.Header("Request-Id");
            if (!incoming || !ValidRequestId(*incoming)) incoming = req.Header("X-Request-Id");
            req.request_id = incoming && ValidRequestId(*incoming) ? *incoming : NewRequestId();

            Response res;
            const auto origin = req.Header("Origin");
            const bool cors = origin && CorsAllowed(*origin);
            const bool exempt = options.rate_limit_exempt && options.rate_limit_exempt(req);
            int wait = limiter.Enabled() && !exempt ? limiter.Take(remote_ip) : 0;
            if (cors && req.method == "OPTIONS" && req.Header("Access-Control-Request-Method")) {
                res.status = 204;  // preflight: answered here, never reaches a handler
                res.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS";
                res.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Idempotency-Key, Request-Id";
                res.headers["Access-Control-Max-Age"] = "600";
            } else if (wait > 0) {
                res = ErrorResponse(429, "too many requests; retry in " + std::to_string(wait) + " s", req.request_id);
                res.headers["Retry-After"] = std::to_string(wait);
            } else {
                // a handler runs while this coroutine waits; keep reads off the socket meanwhile
                beast::get_lowest_layer(stream).expires_never();
                try {
                    res = co_await Dispatch(req);
                } catch (const std::exception& e) {
                    spdlog::error("{}: dispatch failed: {} (request id {})", options.name, e.what(), req.request_id);
                    res = ErrorResponse(500, "internal error (request id " + req.request_id + ")", req.request_id);
                }
            }
            ApplyDefaults(res, req.request_id);
            if (cors) {
                res.headers["Access-Control-Allow-Origin"] = *origin;
                res.headers["Access-Control-Expose-Headers"] = "Request-Id, Retry-After, Idempotent-Replayed";
                res.headers["Vary"] = "Origin";
            }
            const int status = res.status;
            const bool keep_alive = msg.keep_alive() && !stopping.load();
            bool ok = co_await Write(stream, res, keep_alive, req.method == "HEAD", msg.version());
            Log(req.method, RawPath(req.target), status, started, req.request_id);
            if (!ok || !keep_alive) break;
        }
        // graceful close
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
        } else {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    void Log(const std::string& method, const std::string& path, int status,
             std::chrono::steady_clock::time_point started, const std::string& request_id) const {
        if (!options.access_log) return;
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        // Paths can carry a CheckoutRequestID, which ends with the payer's phone number.
        spdlog::info("{} {} {} {} {:.1f}ms request_id={}", options.name, method, core::MaskDigitRuns(path), status, ms,
                     request_id);
    }

    asio::awaitable<void> Session(tcp::socket socket) {
        auto self = shared_from_this();
        std::string remote_ip;
        {
            boost::system::error_code ec;
            auto ep = socket.remote_endpoint(ec);
            if (!ec) remote_ip = ep.address().to_string();
        }
        const uint64_t id = ++next_session_id;
        struct Registration {
            Impl* impl;
            uint64_t id;
            ~Registration() {
                impl->sessions.erase(id);
                --impl->live;
            }
        };
        if (ssl_ctx) {
            beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl_ctx);
            sessions[id] = &beast::get_lowest_layer(stream).socket();
            Registration reg{this, id};
            beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
            boost::system::error_code ec;
            co_await stream.async_handshake(asio::ssl::stream_base::server,
                                            asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                spdlog::debug("{}: TLS handshake from {} failed: {}", options.name, remote_ip, ec.message());
                co_return;
            }
            co_await Serve(stream, remote_ip);
        } else {
            beast::tcp_stream stream(std::move(socket));
            sessions[id] = &stream.socket();
            Registration reg{this, id};
            co_await Serve(stream, remote_ip);
        }
    }

    asio::awaitable<void> Listen() {
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
};

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
    if (!o.web_root.empty()) {
        std::error_code ec;
        impl_->web_root = fs::weakly_canonical(fs::path(o.web_root), ec);
        if (ec || !fs::is_directory(impl_->web_root)) {
            spdlog::warn("{}: web root {} is not a directory; static files disabled", o.name, o.web_root);
            impl_->web_root.clear();
        }
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
