// One connection: the TLS handshake when configured, then the P1 session loop (STYLE.md): a deadline
// before each read, errors as values, the middleware chain, keep-alive decides whether to loop.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>

#include "net/server_impl.hpp"
#include "net/target.hpp"

namespace haven::net {
namespace {

constexpr std::chrono::seconds kTlsHandshakeTimeout{10};
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kDrainTimeout{2};
constexpr size_t kDrainMaxBytes = 16 * 1024 * 1024;
constexpr size_t kHeaderLimit = 16 * 1024;
/// The most any route may take through ServerOptions::body_limit_for (a statement upload asks for 32 MB).
constexpr size_t kMaxRouteBodyBytes = size_t{64} * 1024 * 1024;
/// Requests read under a route's larger body limit at once, in this process (beyond: 503 before the body is read).
constexpr int kMaxLargeBodies = 4;

/// One of the kMaxLargeBodies slots, held while the request is read and handled; given back when it goes.
class LargeBodySlot {
  public:
    LargeBodySlot() = default;
    LargeBodySlot(const LargeBodySlot&) = delete;
    LargeBodySlot& operator=(const LargeBodySlot&) = delete;
    ~LargeBodySlot() {
        if (held_) InUse().fetch_sub(1);
    }
    bool Take() {
        if (held_) return true;
        if (InUse().fetch_add(1) >= kMaxLargeBodies) {
            InUse().fetch_sub(1);
            return false;
        }
        held_ = true;
        return true;
    }

  private:
    static std::atomic<int>& InUse() {
        static std::atomic<int> in_use{0};
        return in_use;
    }
    bool held_ = false;
};

/// `peer`: the socket's remote address. The request's client address is the peer, or, when the peer is one of
/// TRUSTED_PROXIES, the client its X-Forwarded-For names (trusted_proxies.hpp).
Request ToRequest(const bhttp::request<bhttp::string_body>& msg, const std::string& peer,
                  const TrustedProxies& proxies) {
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
    req.remote_ip = proxies.Empty() ? peer : proxies.ClientAddress(peer, req.Header("X-Forwarded-For").value_or(""));
    return req;
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

// An answer made before a request could be parsed never reaches the chain: it gets a fresh request id
// and the security headers here.
Response Unparsed(const Server::Impl& s, core::ErrorCode code, const std::string& message,
                  const std::string& request_id) {
    Response res = s.ServerError(code, message, request_id);
    SetSecurityHeaders(res, s.options.security_headers, s.options.content_security_policy);
    res.headers["Request-Id"] = request_id;
    return res;
}

template <class Stream>
asio::awaitable<void> Serve(Server::Impl& s, Stream& stream, const std::string& remote_ip) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
        beast::get_lowest_layer(stream).expires_after(s.options.idle_timeout);
        bhttp::request_parser<bhttp::string_body> parser;
        // A route may take a larger body (ServerOptions::body_limit_for), known only once the request line is read.
        // Beast checks a Content-Length against the limit while it parses the header, so the header is read under
        // the largest limit any route may have, and the route's own limit is applied right after it.
        size_t body_limit = s.options.max_body_bytes;
        LargeBodySlot large_body;
        bool too_many_large_bodies = false;
        parser.body_limit(s.options.body_limit_for ? std::max(body_limit, kMaxRouteBodyBytes) : body_limit);
        parser.header_limit(kHeaderLimit);
        co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec && s.options.body_limit_for) {
            const auto& head = parser.get();
            const auto method = head.method_string();
            const auto target = head.target();
            const size_t route_limit = s.options.body_limit_for(std::string_view(method.data(), method.size()),
                                                                std::string_view(target.data(), target.size()));
            // A large body is read before the handler authenticates it, so only a request that carries credentials
            // gets the route's larger limit, and only kMaxLargeBodies of them are read at once (bounded memory).
            const bool credentials = head.find(bhttp::field::authorization) != head.end();
            if (route_limit > body_limit && credentials) {
                if (large_body.Take()) {
                    body_limit = std::min(route_limit, kMaxRouteBodyBytes);
                } else {
                    too_many_large_bodies =
                        parser.content_length().value_or(0) > s.options.max_body_bytes || parser.chunked();
                }
            }
            if (too_many_large_bodies) {
                ec = bhttp::error::body_limit;
            } else if (auto length = parser.content_length(); length && *length > body_limit) {
                ec = bhttp::error::body_limit;
            } else {
                parser.body_limit(body_limit);  // a chunked body is counted against it as it arrives
            }
        }
        if (!ec && !parser.is_done()) {
            co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        }
        const auto started = std::chrono::steady_clock::now();
        if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
            auto& msg = parser.get();
            const std::string request_id = NewRequestId();
            Response res =
                too_many_large_bodies ? Unparsed(s, core::ErrorCode::kUnavailable,
                                                 "too many large uploads at once: try again in a moment", request_id)
                : ec == bhttp::error::body_limit
                    ? Unparsed(s, core::ErrorCode::kPayloadTooLarge,
                               "request body is larger than " + std::to_string(body_limit) + " bytes", request_id)
                    : Unparsed(s, core::ErrorCode::kHeadersTooLarge, "request headers are too large", request_id);
            const int status = res.status;
            if (s.request_metrics) {  // before the answer is written, as the chain counts (a client never outruns it)
                const auto method = msg.method_string();
                s.request_metrics->Observe(std::string_view(method.data(), method.size()), kNoRoute, status, started);
            }
            bool ok = co_await Write(stream, res, false, false, 11);
            if (s.options.access_log) {
                LogAccess(s.options.name, std::string(msg.method_string()), msg.target(), status, started, request_id);
            }
            if (ok) co_await Drain(stream);
            break;
        }
        if (ec) {
            // a malformed request (not a clean close) gets a 400 before we hang up
            if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
                Response res = Unparsed(s, core::ErrorCode::kBadRequest, "malformed HTTP request", NewRequestId());
                co_await Write(stream, res, false, false, 11);
            }
            break;  // eof / timeout / reset: not an error
        }
        auto& msg = parser.get();
        Request req = ToRequest(msg, remote_ip, s.options.trusted_proxies);
        // a handler may run while this coroutine waits; keep reads off the socket meanwhile
        beast::get_lowest_layer(stream).expires_never();
        Response res = co_await s.chain(req);
        const bool keep_alive = msg.keep_alive() && !s.stopping.load();
        bool ok = co_await Write(stream, res, keep_alive, req.method == "HEAD", msg.version());
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

}  // namespace

asio::awaitable<void> Server::Impl::Session(tcp::socket socket) {
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
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            spdlog::debug("{}: TLS handshake from {} failed: {}", options.name, remote_ip, ec.message());
            co_return;
        }
        co_await Serve(*this, stream, remote_ip);
    } else {
        beast::tcp_stream stream(std::move(socket));
        sessions[id] = &stream.socket();
        Registration reg{this, id};
        co_await Serve(*this, stream, remote_ip);
    }
}

}  // namespace haven::net
