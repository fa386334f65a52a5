#include "net/http_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <future>
#include <optional>

#include "net/runtime_impl.hpp"

namespace haven::net {
namespace {

using core::ErrorCode;

constexpr const char* kUserAgent = "haven-mpesa/0.1";
constexpr size_t kMaxResponseBody = 64 * 1024 * 1024;
// Send() waits this much longer than the request deadline before giving up on the I/O thread.
constexpr std::chrono::seconds kWaitSlack{5};

struct Url {
    bool https = false;
    std::string host;
    uint16_t port = 0;
    std::string target;  // path + query
};

core::Result<Url> ParseUrl(const std::string& url) {
    Url out;
    std::string_view rest = url;
    if (rest.rfind("http://", 0) == 0) {
        rest.remove_prefix(7);
        out.port = 80;
    } else if (rest.rfind("https://", 0) == 0) {
        rest.remove_prefix(8);
        out.https = true;
        out.port = 443;
    } else {
        return core::Fail(ErrorCode::kValidation, "unsupported URL (need http:// or https://): " + url);
    }
    size_t slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    std::string_view target = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return core::Fail(ErrorCode::kValidation, "URLs with credentials are not supported");
    }
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return core::Fail(ErrorCode::kValidation, "bad IPv6 literal in URL");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return core::Fail(ErrorCode::kValidation, "bad URL authority");
            authority = after;  // ":port"
        } else {
            authority = {};
        }
        if (!authority.empty()) {
            std::string port(authority.substr(1));
            try {
                int p = std::stoi(port);
                if (p <= 0 || p > 65535 || std::to_string(p) != port) throw std::out_of_range("port");
                out.port = static_cast<uint16_t>(p);
            } catch (...) {
                return core::Fail(ErrorCode::kValidation, "bad port in URL: " + url);
            }
        }
    } else {
        size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            std::string port(authority.substr(colon + 1));
            try {
                int p = std::stoi(port);
                if (p <= 0 || p > 65535 || std::to_string(p) != port) throw std::out_of_range("port");
                out.port = static_cast<uint16_t>(p);
            } catch (...) {
                return core::Fail(ErrorCode::kValidation, "bad port in URL: " + url);
            }
        }
    }
    if (host.empty()) return core::Fail(ErrorCode::kValidation, "missing host in URL: " + url);
    out.host = std::string(host);
    std::string t(target.substr(0, target.find('#')));
    if (t.empty() || t.front() != '/') t.insert(t.begin(), '/');
    out.target = std::move(t);
    return out;
}

bool IsIpLiteral(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

struct Outcome {
    core::Result<ClientResponse> result = core::Fail(ErrorCode::kUpstreamUnavailable, "request not run");
};

}  // namespace

struct HttpClient::Impl {
    Impl(Runtime& runtime, TlsOptions tls_options) : rt(runtime.impl()), tls(std::move(tls_options)) {
        try {
            ssl_ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                                asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                                asio::ssl::context::no_tlsv1_1);
            if (tls.verify_peer) {
                ssl_ctx.set_verify_mode(asio::ssl::verify_peer);
                if (tls.ca_file.empty()) {
                    ssl_ctx.set_default_verify_paths();
                } else {
                    ssl_ctx.load_verify_file(tls.ca_file);
                }
            } else {
                ssl_ctx.set_verify_mode(asio::ssl::verify_none);
            }
        } catch (const std::exception& e) {
            tls_setup_error = "cannot load TLS trust store '" + tls.ca_file + "': " + e.what();
            spdlog::error("http client: {}", tls_setup_error);
        }
    }

    Runtime::Impl& rt;
    TlsOptions tls;
    asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
    std::string tls_setup_error;

    static std::string Describe(const boost::system::error_code& ec) {
        if (ec == asio::error::connection_refused) return "connection refused";
        if (ec == asio::error::connection_reset) return "connection reset";
        if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) {
            return "host not found";
        }
        return ec.message();
    }

    template <class Stream>
    asio::awaitable<core::Result<ClientResponse>> Exchange(Stream& stream, const ClientRequest& request, const Url& url,
                                                           const std::string& where,
                                                           std::chrono::milliseconds timeout) {
        bhttp::request<bhttp::string_body> msg;
        auto verb = bhttp::string_to_verb(request.method);
        if (verb == bhttp::verb::unknown) {
            msg.method_string(request.method);
        } else {
            msg.method(verb);
        }
        msg.target(url.target);
        msg.version(11);
        const bool default_port = url.port == (url.https ? 443 : 80);
        std::string host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
        if (!default_port) host_header += ":" + std::to_string(url.port);
        msg.set(bhttp::field::host, host_header);
        msg.set(bhttp::field::user_agent, kUserAgent);
        for (const auto& [name, value] : request.headers) msg.set(name, value);
        msg.body() = request.body;
        msg.keep_alive(false);
        msg.prepare_payload();

        boost::system::error_code ec;
        co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == beast::error::timeout) {
                co_return core::Fail(
                    ErrorCode::kUpstreamUnavailable,
                    fmt::format("timed out after {} ms sending request to {}", timeout.count(), where));
            }
            co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                 fmt::format("sending request to {} failed: {}", where, Describe(ec)));
        }
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(kMaxResponseBody);
        if (msg.method() == bhttp::verb::head) parser.skip(true);  // a HEAD answer has no body
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::ssl::error::stream_truncated) {
            // the peer closed without close_notify; harmless once the response is complete
            if (!parser.is_done() && parser.is_header_done()) {
                boost::system::error_code eof_ec;
                parser.put_eof(eof_ec);
            }
            if (parser.is_done()) ec = {};
        }
        if (ec) {
            if (ec == beast::error::timeout) {
                co_return core::Fail(
                    ErrorCode::kUpstreamUnavailable,
                    fmt::format("timed out after {} ms waiting for the response from {}", timeout.count(), where));
            }
            co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                 fmt::format("reading the response from {} failed: {}", where, Describe(ec)));
        }
        auto& res = parser.get();
        ClientResponse out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& field : res) {
            std::string name(field.name_string());
            auto it = out.headers.find(name);
            if (it == out.headers.end()) {
                out.headers.emplace(std::move(name), std::string(field.value()));
            } else {
                it->second += ", ";
                it->second += std::string(field.value());
            }
        }
        out.body = std::move(res.body());
        co_return out;
    }

    asio::awaitable<core::Result<ClientResponse>> Run(ClientRequest request, Url url) {
        auto ex = co_await asio::this_coro::executor;
        const auto timeout = request.timeout;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        const std::string where = (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
                                  std::to_string(url.port);

        // Resolve: IP literals and localhost need no DNS; otherwise a timer cancels a slow resolver.
        std::vector<tcp::endpoint> endpoints;
        boost::system::error_code ec;
        std::string connect_host = url.host == "localhost" ? "127.0.0.1" : url.host;
        if (IsIpLiteral(connect_host)) {
            endpoints.emplace_back(asio::ip::make_address(connect_host), url.port);
        } else {
            auto resolver = std::make_shared<tcp::resolver>(ex);
            auto timer = std::make_shared<asio::steady_timer>(ex);
            auto timed_out = std::make_shared<bool>(false);
            timer->expires_at(deadline);
            timer->async_wait([resolver, timed_out](const boost::system::error_code& tec) {
                if (tec) return;
                *timed_out = true;
                resolver->cancel();
            });
            auto results = co_await resolver->async_resolve(connect_host, std::to_string(url.port),
                                                            asio::redirect_error(asio::use_awaitable, ec));
            timer->cancel();
            if (*timed_out) {
                co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                     fmt::format("timed out after {} ms resolving {}", timeout.count(), where));
            }
            if (ec) {
                co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                     fmt::format("cannot resolve {}: {}", where, Describe(ec)));
            }
            for (const auto& r : results) endpoints.push_back(r.endpoint());
        }

        if (request.refuse_address) {
            for (const auto& endpoint : endpoints) {
                const std::string ip = endpoint.address().to_string();
                if (std::string why = request.refuse_address(ip); !why.empty()) {
                    co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                         fmt::format("refused to connect to {} ({}): {}", where, ip, why));
                }
            }
        }

        auto connect = [&](beast::tcp_stream& tcp_stream) -> asio::awaitable<core::Result<bool>> {
            tcp_stream.expires_at(deadline);
            boost::system::error_code cec;
            if (request.local_address.empty()) {
                co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, cec));
            } else {
                // A chosen source address: open and bind first, then connect to the first endpoint only
                // (the range form would reopen the socket and lose the binding).
                auto local = asio::ip::make_address(request.local_address, cec);
                if (!cec && endpoints.empty()) cec = asio::error::host_not_found;
                auto& socket = tcp_stream.socket();
                if (!cec) socket.open(endpoints.front().protocol(), cec);
                if (!cec) socket.bind(tcp::endpoint(local, 0), cec);
                if (cec) {
                    co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                         fmt::format("cannot bind {}: {}", request.local_address, Describe(cec)));
                }
                co_await tcp_stream.async_connect(endpoints.front(), asio::redirect_error(asio::use_awaitable, cec));
            }
            if (cec == beast::error::timeout) {
                co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                     fmt::format("timed out after {} ms connecting to {}", timeout.count(), where));
            }
            if (cec) {
                co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                     fmt::format("{} connecting to {}", Describe(cec), where));
            }
            co_return true;
        };

        if (!url.https) {
            beast::tcp_stream stream(ex);
            auto connected = co_await connect(stream);
            if (!connected) co_return core::Fail(connected.error());
            auto result = co_await Exchange(stream, request, url, where, timeout);
            stream.socket().shutdown(tcp::socket::shutdown_both, ec);
            co_return result;
        }

        if (!tls_setup_error.empty()) co_return core::Fail(ErrorCode::kUpstreamUnavailable, tls_setup_error);
        beast::ssl_stream<beast::tcp_stream> stream(ex, ssl_ctx);
        auto connected = co_await connect(beast::get_lowest_layer(stream));
        if (!connected) co_return core::Fail(connected.error());
        if (!IsIpLiteral(url.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
            co_return core::Fail(ErrorCode::kUpstreamUnavailable, "TLS handshake failed: cannot set SNI for " + where);
        }
        if (tls.verify_peer) stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
        co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == beast::error::timeout) {
            co_return core::Fail(
                ErrorCode::kUpstreamUnavailable,
                fmt::format("timed out after {} ms in the TLS handshake with {}", timeout.count(), where));
        }
        if (ec) {
            std::string reason = ec.message();
            if (ec.category() == asio::error::get_ssl_category()) {
                long verify = SSL_get_verify_result(stream.native_handle());
                if (verify != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
            }
            co_return core::Fail(ErrorCode::kUpstreamUnavailable,
                                 fmt::format("TLS handshake failed: {} ({})", reason, where));
        }
        auto result = co_await Exchange(stream, request, url, where, timeout);
        // We asked for Connection: close; a TLS close_notify is polite but not worth waiting for.
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
        co_return result;
    }
};

HttpClient::HttpClient(Runtime& runtime, TlsOptions tls) : impl_(std::make_unique<Impl>(runtime, std::move(tls))) {}

HttpClient::~HttpClient() = default;

namespace {

std::string ExceptionText(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
    }
    return "unknown error";
}

}  // namespace

void HttpClient::SendAsync(const ClientRequest& request, Done done) {
    auto& rt = impl_->rt;
    auto finish = [&rt, done = std::move(done)](core::Result<ClientResponse> result) mutable {
        asio::post(rt.pool, [done = std::move(done), result = std::move(result)]() mutable {
            try {
                done(std::move(result));
            } catch (...) {
                LogSpawnException("http client completion", std::current_exception());
            }
        });
    };
    auto url = ParseUrl(request.url);
    if (!url) {
        finish(core::Fail(url.error()));
        return;
    }
    // Run() takes the request by value: the coroutine owns its copy, the caller's may be gone before it runs.
    asio::co_spawn(
        impl_->rt.io, impl_->Run(request, *url),
        [finish = std::move(finish)](std::exception_ptr e, core::Result<ClientResponse> result) mutable {
            if (e) {
                finish(core::Fail(ErrorCode::kUpstreamUnavailable, "HTTP client failed: " + ExceptionText(e)));
                return;
            }
            finish(std::move(result));
        });
}

core::Result<ClientResponse> HttpClient::Send(const ClientRequest& request) {
    if (impl_->rt.OnIoThread()) {
        spdlog::error("http client: Send() called on the I/O thread; refusing (it would deadlock)");
        return core::Fail(ErrorCode::kInternal, "HttpClient::Send must not be called on the I/O thread");
    }
    if (!impl_->rt.running.load()) {
        return core::Fail(ErrorCode::kInternal, "HttpClient::Send: the runtime is not running");
    }
    auto url = ParseUrl(request.url);
    if (!url) return core::Fail(url.error());

    auto promise = std::make_shared<std::promise<core::Result<ClientResponse>>>();
    auto future = promise->get_future();
    asio::co_spawn(
        impl_->rt.io, impl_->Run(request, *url), [promise](std::exception_ptr e, core::Result<ClientResponse> result) {
            if (e) {
                std::string what = "unknown error";
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    what = ex.what();
                } catch (...) {
                }
                promise->set_value(core::Fail(ErrorCode::kUpstreamUnavailable, "HTTP client failed: " + what));
                return;
            }
            promise->set_value(std::move(result));
        });
    if (future.wait_for(request.timeout + kWaitSlack) != std::future_status::ready) {
        return core::Fail(ErrorCode::kUpstreamUnavailable,
                          fmt::format("timed out after {} ms waiting for {}", request.timeout.count(), url->host));
    }
    return future.get();
}

}  // namespace haven::net
