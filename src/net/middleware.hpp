#pragma once
// Private to net/: the cross-cutting steps every request passes through before and after its handler.
// A Middleware takes the request and the next step: it may answer by itself (a CORS preflight, a 429) or
// await next(req) and adjust the answer on its way out. The order is stated once, in Server::Impl's
// constructor (server.cpp). Includes Asio, so keep it out of other folders.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "metrics/registry.hpp"
#include "net/asio.hpp"
#include "net/http.hpp"

namespace haven::net {

class RateLimiter;

using Next = std::function<asio::awaitable<Response>(Request&)>;
using Middleware = std::function<asio::awaitable<Response>(Request&, const Next&)>;
/// Builds one of the server's own error answers.
using ErrorMaker =
    std::function<Response(core::ErrorCode code, const std::string& message, const std::string& request_id)>;

/// Runs the steps in order, outermost first, and then the endpoint. Built once per server; the steps and
/// the links between them live as long as the chain, so a request costs no allocation for the links.
class MiddlewareChain {
  public:
    MiddlewareChain(std::vector<Middleware> steps, Next endpoint);
    MiddlewareChain(const MiddlewareChain&) = delete;
    MiddlewareChain& operator=(const MiddlewareChain&) = delete;

    asio::awaitable<Response> operator()(Request& req) const { return links_.front()(req); }

  private:
    std::vector<Middleware> steps_;
    std::vector<Next> links_;  // links_[i] runs steps_[i]; the last one is the endpoint
};

/// One access-log line: method, path (no query, digit runs masked), status, time, request id.
/// `quiet_paths` (exact paths: health probes a load balancer sends every second) are logged at debug only.
Middleware AccessLog(std::string server_name, std::vector<std::string> quiet_paths = {});
/// Takes the client's Request-Id (or X-Request-Id) when it is well-formed, else makes one; every answer
/// carries it in the Request-Id header.
Middleware RequestId();
/// CSP, X-Frame-Options, HSTS, nosniff, Referrer-Policy, COOP, CORP and helmet's other defaults unless the
/// handler set its own; never a Server or X-Powered-By banner.
Middleware SecurityHeaders(bool enabled, std::string content_security_policy);
/// Exact allowed origins: a preflight from one is answered here, and every answer to one says so.
Middleware Cors(std::vector<std::string> allowed_origins);
/// A token bucket per client IP; an empty bucket answers 429 with Retry-After. `exempt` may skip it.
Middleware RateLimit(RateLimiter& limiter, std::function<bool(const Request&)> exempt, ErrorMaker error);

/// The route label of requests served from the web root, and of requests no route took (404, 405, 429, a CORS
/// preflight, a request that could not be parsed): labels stay bounded whatever paths clients send.
inline constexpr std::string_view kStaticRoute = "(static)";
inline constexpr std::string_view kNoRoute = "(none)";

/// haven_http_requests_total{method,route,status} and haven_http_request_duration_seconds{method,route}: route is
/// the matched pattern (never the raw path, which carries ids), method one of the standard verbs or OTHER.
/// Lock-free per request (see metrics/registry.hpp).
class RequestMetrics {
  public:
    explicit RequestMetrics(metrics::Registry& registry);
    void Observe(std::string_view method, std::string_view route, int status,
                 std::chrono::steady_clock::time_point started);

  private:
    metrics::CounterFamily& requests_;
    metrics::HistogramFamily& latency_;
};
/// Counts every answer that passes through the chain (outermost, so a 429 or a preflight counts too).
Middleware CountRequests(RequestMetrics& metrics);

/// The pieces of those steps that the session also needs for answers it makes before a request could be
/// parsed (400, 413, 431).
std::string NewRequestId();
void SetSecurityHeaders(Response& res, bool enabled, const std::string& content_security_policy);
void LogAccess(const std::string& server_name, const std::string& method, std::string_view target, int status,
               std::chrono::steady_clock::time_point started, const std::string& request_id, bool quiet = false);

}  // namespace haven::net
