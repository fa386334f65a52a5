#include "net/middleware.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
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

}  // namespace

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
               std::chrono::steady_clock::time_point started, const std::string& request_id) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    // Paths can carry a CheckoutRequestID, which ends with the payer's phone number.
    spdlog::info("{} {} {} {} {:.1f}ms request_id={}", server_name, method, core::MaskDigitRuns(LogPath(target)),
                 status, ms, request_id);
}

Middleware AccessLog(std::string server_name) {
    return [server_name = std::move(server_name)](Request& req, const Next& next) -> asio::awaitable<Response> {
        const auto started = std::chrono::steady_clock::now();
        Response res = co_await next(req);
        LogAccess(server_name, req.method, req.target, res.status, started, req.request_id);
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
