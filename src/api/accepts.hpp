#pragma once
// What each route accepts as its request body, declared where the route is registered:
//   router.Add("POST", "/api/v1/leases", Accepts(kJsonBody, handler));
// Content-Type is parsed (net/media_type.hpp), never matched as a substring: "text/plain; x=application/json"
// is text/plain, which a page on another site may send without a CORS preflight.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "net/http.hpp"

namespace haven::api {

struct BodyRule {
    std::vector<std::string> types;  // media types without parameters, lower case: "application/json"
    bool check_header = true;        // false: the header is not looked at (the handler still checks the body)
};

/// JSON routes: application/json, with charset=utf-8 as the only parameter allowed.
extern const BodyRule kJsonBody;
/// Daraja's callbacks and results: whatever the header says (a proxy may drop or rewrite it), the body
/// must still be a JSON object the handler can read.
extern const BodyRule kDarajaBody;
/// A later upload route: BodyRule{{"text/csv", "multipart/form-data"}} (multipart also takes its boundary).

/// kUnsupportedMedia (415) unless Content-Type is one of rule.types, its only parameters charset=utf-8
/// (and boundary for multipart/*).
core::Result<void> CheckContentType(const net::Request& req, const BodyRule& rule);

/// `handler` behind `rule`: a request whose Content-Type breaks the rule is answered 415 and goes no further.
net::Handler Accepts(BodyRule rule, net::Handler handler);
net::AsyncHandler Accepts(BodyRule rule, net::AsyncHandler handler);

}  // namespace haven::api
