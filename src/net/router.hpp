#pragma once
// Route table: (verb, pattern) -> handler. Patterns use {name} segments: "/api/v1/leases/{id}".
// A path that matches only with another verb is a 405 with Allow; no match at all is a 404.
#include <string>
#include <vector>

#include "net/http.hpp"

namespace haven::net {

/// Which worker pool runs a route's handler. Daraja's callbacks and results have their own small pool, so
/// they never wait in the queue behind our own requests (a burst of STK pushes, a slow page of history).
enum class Lane {
    kDefault,
    kDaraja,  // inbound routes Daraja calls: STK callbacks, B2C/reversal/balance results, C2B
};

struct RouteInfo {
    std::string method;
    std::string pattern;
};

class Router {
  public:
    void Add(std::string method, std::string pattern, Handler handler, Lane lane = Lane::kDefault);
    /// A route whose handler answers later (see AsyncHandler): it never holds a thread while it waits.
    void AddAsync(std::string method, std::string pattern, AsyncHandler handler, Lane lane = Lane::kDefault);

    enum class MatchKind { kFound, kWrongMethod, kNotFound };
    struct Match {
        MatchKind kind = MatchKind::kNotFound;
        const Handler* handler = nullptr;             // set for Add() routes
        const AsyncHandler* async_handler = nullptr;  // set for AddAsync() routes
        Lane lane = Lane::kDefault;
        const std::string* pattern = nullptr;  // the route's pattern (kFound), owned by the router
        std::map<std::string, std::string> params;
        std::string allow;  // "GET, POST" for kWrongMethod
    };
    Match Find(const std::string& method, const std::string& path) const;

    std::vector<RouteInfo> Routes() const;

  private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
        AsyncHandler async_handler;
        Lane lane = Lane::kDefault;
    };
    Route& AddRoute(std::string method, std::string pattern, Lane lane);
    std::vector<Route> routes_;
};

}  // namespace haven::net
