#include "net/router.hpp"

#include <algorithm>
#include <set>

namespace haven::net {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

bool IsParam(const std::string& segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool MatchSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   std::map<std::string, std::string>* params) {
    if (pattern.size() != path.size()) return false;
    std::map<std::string, std::string> found;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (IsParam(pattern[i])) {
            if (path[i].empty()) return false;
            found[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        } else if (pattern[i] != path[i]) {
            return false;
        }
    }
    if (params) *params = std::move(found);
    return true;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, Lane lane) {
    AddRoute(std::move(method), std::move(pattern), lane).handler = std::move(handler);
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler, Lane lane) {
    AddRoute(std::move(method), std::move(pattern), lane).async_handler = std::move(handler);
}

Router::Route& Router::AddRoute(std::string method, std::string pattern, Lane lane) {
    Route& route = routes_.emplace_back();
    route.lane = lane;
    route.segments = SplitPath(pattern);
    route.method = std::move(method);
    route.pattern = std::move(pattern);
    return route;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
    const auto segments = SplitPath(path);
    Match match;
    // Literal segments beat {param} segments: prefer the route with the most literal matches.
    int best_literals = -1;
    std::set<std::string> allowed;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        if (!MatchSegments(route.segments, segments, &params)) continue;
        if (route.method != method) {
            allowed.insert(route.method);
            continue;
        }
        int literals = static_cast<int>(std::count_if(route.segments.begin(), route.segments.end(),
                                                      [](const std::string& s) { return !IsParam(s); }));
        if (literals > best_literals) {
            best_literals = literals;
            match.kind = MatchKind::kFound;
            match.handler = route.handler ? &route.handler : nullptr;
            match.async_handler = route.async_handler ? &route.async_handler : nullptr;
            match.params = std::move(params);
            match.lane = route.lane;
            match.pattern = &route.pattern;
        }
    }
    if (match.kind == MatchKind::kFound) return match;
    if (!allowed.empty()) {
        match.kind = MatchKind::kWrongMethod;
        for (const auto& m : allowed) {
            if (!match.allow.empty()) match.allow += ", ";
            match.allow += m;
        }
    }
    return match;
}

std::vector<RouteInfo> Router::Routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& route : routes_) out.push_back({route.method, route.pattern});
    return out;
}

}  // namespace haven::net
