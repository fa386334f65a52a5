#pragma once
// HTTP/1.1 server: a listener that never dies (accept errors are logged, the loop goes on), one
// coroutine per connection (a deadline before each read, keep-alive), each request through the
// middleware chain (access log, Request-Id, security headers, CORS, per-IP rate limit 429) to the
// Router's handler on the worker pool, static files from a web root as the fallback for GET.
// Where each part lives: server.cpp (listener, chain order), session.cpp, middleware.cpp,
// dispatch.cpp, static_files.cpp, target.cpp (URL utilities).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/trusted_proxies.hpp"

namespace haven::metrics {
class Registry;
}  // namespace haven::metrics

namespace haven::net {

struct ServerOptions {
    std::string name = "http";  // used in log lines ("gateway", "simulator")
    std::string host = "127.0.0.1";
    uint16_t port = 0;                // 0 = pick a free port; read it back with Port()
    size_t max_body_bytes = 1 << 20;  // larger bodies get 413
    // A larger limit for some routes (an upload), decided from the request line once the headers are read;
    // 0 or anything below max_body_bytes keeps the default. Runs on the I/O thread: keep it cheap.
    std::function<size_t(std::string_view method, std::string_view target)> body_limit_for;
    std::chrono::seconds idle_timeout{30};
    int max_connections = 10000;
    // Rate limit per client IP: a token bucket. 0 disables it.
    double rate_limit_per_second = 0;
    double rate_limit_burst = 0;
    // Requests for which this returns true skip the rate limit (runs on the I/O thread: keep it cheap).
    std::function<bool(const Request&)> rate_limit_exempt;
    bool security_headers = true;  // CSP, X-Frame-Options, HSTS, nosniff, Referrer-Policy
    std::string content_security_policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
    std::string web_root;  // static files served for unmatched GETs; empty = none
    // Exact origins ("https://app.haven.example") allowed to call the API and load web/ modules from
    // another site (CORS, with preflight answered here). Empty = same origin only.
    std::vector<std::string> cors_allowed_origins;
    // Shapes error bodies (404/405/413/429/500) produced by the server itself.
    std::function<Response(int status, const std::string& code, const std::string& message,
                           const std::string& request_id)>
        error_body;
    // TLS: when both are set the server speaks HTTPS only.
    std::string tls_cert_file;
    std::string tls_key_file;
    bool access_log = true;
    // Requests counted by method, route pattern and status, with their latency (haven_http_*); null: not counted.
    // The registry must outlive the server.
    metrics::Registry* metrics = nullptr;
    // TRUSTED_PROXIES: a connection from one of these may name the client in X-Forwarded-For (Request::remote_ip).
    TrustedProxies trusted_proxies;
    // Exact paths whose access-log lines are debug, not info (health probes a load balancer sends every second).
    std::vector<std::string> quiet_paths;
};

class Server {
  public:
    Server(Runtime& runtime, const Router& router, ServerOptions options);
    ~Server();
    /// Binds and starts accepting; returns the bound port. Throws std::runtime_error on bind failure.
    uint16_t Start();
    void Stop();
    uint16_t Port() const;
    int LiveConnections() const;

    struct Impl;

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace haven::net
