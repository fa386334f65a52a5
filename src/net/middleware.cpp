#include "net/middleware.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>

#include "core/hex.hpp"
#include "core/phone.hpp"
#include "net/rate_limiter.hpp"
#include "net/target.hpp"

namespace haven::net {
namespace {

constexpr size_t kMaxRequestIdLength = 64;

bool ValidRequestId(const std::string& id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

/// The method as a label: the verbs we know, else OTHER (a client may send any token as a method).
std::string_view MethodLabel(std::string_view method) {
    for (std::string_view known : {"GET", "POST", "HEAD", "PATCH", "PUT", "DELETE", "OPTIONS"}) {
        if (method == known) return known;
    }
    return "OTHER";
}

}  // namespace

RequestMetrics::RequestMetrics(metrics::Registry& registry)
    : requests_(registry.Counters("haven_http_requests_total",
                                  "HTTP requests answered, by method, route pattern and status.",
                                  {"method", "route", "status"})),
      latency_(registry.Histograms("haven_http_request_duration_seconds",
                                   "Time from a parsed request to its answer, by method and route pattern.",
                                   {"method", "route"}, metrics::HttpLatencyBounds())) {}

void RequestMetrics::Observe(std::string_view method, std::string_view route, int status,
                             std::chrono::steady_clock::time_point started) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string_view m = MethodLabel(method);
    const std::string_view r = route.empty() ? kNoRoute : route;
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    requests_.With({m, r, std::string_view(digits, static_cast<size_t>(end - digits))}).Inc();
    latency_.With({m, r}).Observe(seconds);
}

Middleware CountRequests(RequestMetrics& metrics) {
    return [&metrics](Request& req, const Next& next) -> asio::awaitable<Response> {
        const auto started = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        metrics.Observe(req.method, req.route, res.status, started);
        co_return res;
    };
}

MiddlewareChain::MiddlewareChain(std::vector<Middleware> steps, Next endpoint) : steps_(std::move(steps)) {
    links_.resize(steps_.size() + 1);
    links_.back() = std::move(endpoint);
    for (size_t i = 0; i < steps_.size(); ++i) {
        links_[i] = [this, i](Request& req) { return steps_[i](req, links_[i + 1]); };
    }
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
    return core::ToHex(bytes, sizeof bytes);
}

void SetSecurityHeaders(Response& res, bool enabled, const std::string& content_security_policy) {
    auto set_default = [&res](const char* name, const std::string& value) {
        if (res.headers.find(name) == res.headers.end()) res.headers[name] = value;
    };
    if (enabled) {
        set_default("Content-Security-Policy", content_security_policy);
        set_default("X-Frame-Options", "DENY");
        set_default("X-Content-Type-Options", "nosniff");
        set_default("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        set_default("Referrer-Policy", "no-referrer");
        set_default("Cross-Origin-Opener-Policy", "same-origin");
        // The rest of helmet's defaults, which the seed's Express app sent.
        set_default("Cross-Origin-Resource-Policy", "same-origin");
        set_default("Origin-Agent-Cluster", "?1");
        set_default("X-DNS-Prefetch-Control", "off");
        set_default("X-Download-Options", "noopen");
        set_default("X-Permitted-Cross-Domain-Policies", "none");
        set_default("X-XSS-Protection", "0");
    }
    res.headers.erase("X-Powered-By");
    res.headers.erase("Server");
}

void LogAccess(const std::string& server_name, const std::string& method, std::string_view target, int status,
               std::chrono::steady_clock::time_point started, const std::string& request_id, bool quiet) {
    if (quiet && !spdlog::should_log(spdlog::level::debug)) return;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    // Paths can carry a CheckoutRequestID, which ends with the payer's phone number.
    spdlog::log(quiet ? spdlog::level::debug : spdlog::level::info, "{} {} {} {} {:.1f}ms request_id={}", server_name,
                method, core::MaskDigitRuns(LogPath(target)), status, ms, request_id);
}

Middleware AccessLog(std::string server_name, std::vector<std::string> quiet_paths) {
    return [server_name = std::move(server_name), quiet_paths = std::move(quiet_paths)](
               Request& req, const Next& next) -> asio::awaitable<Response> {
        const auto started = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        const bool quiet = std::find(quiet_paths.begin(), quiet_paths.end(), req.path) != quiet_paths.end();
        LogAccess(server_name, req.method, req.target, res.status, started, req.request_id, quiet);
        co_return res;
    };
}

Middleware RequestId() {
    return [](Request& req, const Next& next) -> asio::awaitable<Response> {
        auto incoming = req.Header("Request-Id");
        if (!incoming || !ValidRequestId(*incoming)) incoming = req.Header("X-Request-Id");
        req.request_id = incoming && ValidRequestId(*incoming) ? *incoming : NewRequestId();
        Response res = co_await next(req);
        res.headers["Request-Id"] = req.request_id;
        co_return res;
    };
}

Middleware SecurityHeaders(bool enabled, std::string content_security_policy) {
    return [enabled, csp = std::move(content_security_policy)](Request& req,
                                                               const Next& next) -> asio::awaitable<Response> {
        Response res = co_await next(req);
        SetSecurityHeaders(res, enabled, csp);
        co_return res;
    };
}

Middleware Cors(std::vector<std::string> allowed_origins) {
    return [allowed = std::move(allowed_origins)](Request& req, const Next& next) -> asio::awaitable<Response> {
        const auto origin = req.Header("Origin");
        const bool cors = origin && std::find(allowed.begin(), allowed.end(), *origin) != allowed.end();
        Response res;
        if (cors && req.method == "OPTIONS" && req.Header("Access-Control-Request-Method")) {
            res.status = 204;  // preflight: answered here, never reaches a handler
            res.headers["Access-Control-Allow-Methods"] = "GET, POST, PATCH, OPTIONS";
            res.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Idempotency-Key, Request-Id";
            res.headers["Access-Control-Max-Age"] = "600";
        } else {
            res = co_await next(req);
        }
        if (cors) {
            res.headers["Access-Control-Allow-Origin"] = *origin;
            res.headers["Access-Control-Expose-Headers"] = "Request-Id, Retry-After, Idempotent-Replayed";
            res.headers["Vary"] = "Origin";
        }
        co_return res;
    };
}

Middleware RateLimit(RateLimiter& limiter, std::function<bool(const Request&)> exempt, ErrorMaker error) {
    return [&limiter, exempt = std::move(exempt), error = std::move(error)](
               Request& req, const Next& next) -> asio::awaitable<Response> {
        const int wait = exempt && exempt(req) ? 0 : limiter.Take(req.remote_ip);
        if (wait == 0) co_return co_await next(req);
        const std::string message = "too many requests; retry in " + std::to_string(wait) + " s";
        Response res = error(core::ErrorCode::kRateLimited, message, req.request_id);
        res.headers["Retry-After"] = std::to_string(wait);
        co_return res;
    };
}

}  // namespace haven::net
