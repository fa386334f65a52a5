#pragma once
// Beast-free view of HTTP used by handlers, services' adapters and tests. The server (server.hpp)
// parses Beast messages into these and back; nothing outside net/ and sim/ includes Beast.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace haven::net {

/// Case-insensitive header lookup (HTTP header names are case-insensitive).
struct CaseLess {
    bool operator()(std::string_view a, std::string_view b) const;
    using is_transparent = void;
};
using Headers = std::map<std::string, std::string, CaseLess>;

struct Request {
    std::string method;                         // "GET", "POST", ...
    std::string target;                         // raw target, "/api/v1/leases?limit=2"
    std::string path;                           // percent-decoded path without the query, "/api/v1/leases"
    std::map<std::string, std::string> query;   // decoded query parameters
    std::map<std::string, std::string> params;  // route parameters, e.g. {"id": "42"}
    Headers headers;
    std::string body;
    std::string remote_ip;
    std::string request_id;  // set by the server before dispatch (also in the Request-Id header)
    // The matched route's pattern ("/api/v1/leases/{id}"), set by dispatch; the router's string, so it lives as long
    // as the router. Empty until then and when no route matched. Metrics label requests with it, never with `path`.
    std::string_view route;

    std::optional<std::string> Header(std::string_view name) const;
    std::optional<std::string> Query(std::string_view name) const;
    std::string Param(std::string_view name) const;  // "" when absent
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;

    static Response Json(int status, const nlohmann::json& body);
    static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

using Handler = std::function<Response(Request&)>;

/// Answers a request later, from any thread (a pool thread, the group-commit writer, the completion of an
/// outbound call). The first call wins; later calls are ignored. A Reply whose last copy is dropped without
/// being called answers 500, so a forgotten path can never leave a connection waiting forever.
class Reply {
  public:
    /// `deliver` hands the answer to the waiting connection; `unanswered` builds the 500 for a dropped Reply.
    Reply(std::function<void(Response)> deliver, std::function<Response()> unanswered);
    void operator()(Response response) const;
    /// True once an answer was given.
    bool Answered() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

/// A handler that does not hold its thread while it waits (for Daraja, for a group commit): it checks the
/// request, starts the work and returns; whoever finishes the work calls `reply`. It starts on the worker
/// pool like a Handler; `req` stays valid until reply is called.
using AsyncHandler = std::function<void(Request& req, Reply reply)>;

}  // namespace haven::net
