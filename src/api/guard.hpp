#pragma once
// The one way a handler learns who is calling. A route declares who may call it where it is registered:
//   router.Add("GET", "/api/v1/leases", Authed(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& who) {...}));
//   router.Add("POST", "/api/v1/mpesa/b2c", ... AuthedAsync(ctx, Guard{{Role::kAdmin}, "only an agency admin..."},
//   ...));
// and the handler receives the caller's claims; no handler reads the token or checks a role itself.
// A request without a valid bearer token is 401 UNAUTHENTICATED and one with a role the guard does not name is
// 403 FORBIDDEN; neither reaches the handler. Wrap Authed innermost (inside Accepts, CallsDaraja and Audited), so a
// 415 still comes before a 401 and Audited still records a refused caller as "denied".
#include <functional>
#include <string>
#include <vector>

#include "api/context.hpp"

namespace haven::api {

/// Who the caller is: user id, agency id, role and email, from a verified token.
using Caller = service::Claims;

/// Who may call a route: any signed-in user (no roles named) or a user with one of `roles`.
struct Guard {
    std::vector<core::Role> roles;
    std::string forbidden_message;  // the 403's message; "" for the general one
};

inline const Guard kSignedIn{};
inline const Guard kStaff{{core::Role::kAdmin, core::Role::kManager}};  // viewers read, staff act

using AuthedHandler = std::function<net::Response(net::Request&, const Caller&)>;
using AuthedAsyncHandler = std::function<void(net::Request&, const Caller&, net::Reply)>;

/// `handler` behind `guard`: it runs only for a caller the guard lets through.
net::Handler Authed(const ApiContext& ctx, Guard guard, AuthedHandler handler);
net::AsyncHandler AuthedAsync(const ApiContext& ctx, Guard guard, AuthedAsyncHandler handler);

/// Bearer JWT -> claims; kUnauthenticated when missing, malformed, expired or badly signed. Routes use Authed;
/// this is for steps that only want to know who called (the audit row of Audited).
core::Result<Caller> Authenticate(const net::Request& req, const ApiContext& ctx);

/// The caller the guard lets through, or the 401/403 error it answers with.
core::Result<Caller> Admit(const net::Request& req, const ApiContext& ctx, const Guard& guard);

}  // namespace haven::api
