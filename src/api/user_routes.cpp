// Users of an agency, managed by its admins: GET /api/v1/users, PATCH /api/v1/users/{id} (role),
// POST /api/v1/users/{id}/disable | enable | reset, POST/GET /api/v1/users/invites, DELETE /api/v1/users/invites/{id};
// public POST /api/v1/invites/accept (an invite or reset link sets its password); and every user's own
// POST /api/v1/auth/password.
// Every route is scoped to the caller's agency: another agency's user or link is 404, as if it did not exist.
// Passwords are checked by service/password_policy.hpp and hashed on the hash gate's threads; none is logged.
#include <chrono>
#include <memory>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "service/password_policy.hpp"
#include "service/user_links.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

const Guard kAdminsOnly{{core::Role::kAdmin}, "only an agency admin may manage users"};
constexpr size_t kMaxPasswordBytes = 1024;  // as login: anything longer is not a password

int64_t NowUnix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Tokens issued up to now are cut off: iat is in whole seconds, so the cut-off is the next second (a login after
/// the change carries it as its iat; service/auth.cpp).
int64_t CutOffNow() { return NowUnix() + 1; }

json UserRowJson(const core::User& user) {
    return {{"id", user.id},
            {"email", user.email},
            {"role", core::ToString(user.role)},
            {"status", user.disabled_at.empty() ? "active" : "disabled"},
            {"passwordSet", !user.password_hash.empty()},
            {"createdAt", Instant(user.created_at)},
            {"disabledAt", Instant(user.disabled_at)}};
}

json InviteJson(const storage::UserInvite& invite) {
    return {{"id", invite.id},
            {"purpose", invite.purpose},
            {"email", invite.email},
            {"role", core::ToString(invite.role)},
            {"userId", invite.user_id ? json(*invite.user_id) : json(nullptr)},
            {"createdAt", Instant(invite.created_at)},
            {"expiresAt", Instant(invite.expires_at)}};
}

/// The link answered once, when it is made: only its hash is kept.
json InviteWithLink(const storage::UserInvite& invite, const std::string& token) {
    json out = InviteJson(invite);
    out["link"] = service::LinkPath(token);
    return out;
}

std::optional<int64_t> PathId(const net::Request& req) { return core::ParseId(req.Param("id")); }

/// A password field taken byte for byte (spaces are part of it), or a validation problem.
std::optional<std::string> TakePassword(const json& body, const char* field, Validator& v) {
    auto it = body.find(field);
    if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        v.Add(field, std::string(field) + " is required");
        return std::nullopt;
    }
    if (it->get_ref<const std::string&>().size() > kMaxPasswordBytes) {
        v.Add(field, std::string(field) + " is too long");
        return std::nullopt;
    }
    return it->get<std::string>();
}

std::optional<core::Role> TakeRole(const json& body, Validator& v) {
    auto raw = v.Take(core::RequireText(body, "role", 20));
    if (!raw) return std::nullopt;
    auto role = core::ParseRole(*raw);
    if (!role) v.Add("role", "role must be admin, manager or viewer");
    return role;
}

net::Response ListUsers(net::Request&, const Caller& caller, ApiContext& ctx) {
    auto users = ctx.store.ListUsers(caller.agency_id);
    if (!users) return ErrorResponse(users.error());
    json items = json::array();
    for (const auto& u : *users) items.push_back(UserRowJson(u));
    return Ok({{"items", items}});
}

net::Response ChangeRole(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto id = PathId(req);
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "user not found");
    Validator v;
    auto role = TakeRole(*body, v);
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto user = ctx.store.SetUserRole(caller.agency_id, *id, *role);
    if (!user) return ErrorResponse(user.error());
    return Ok(UserRowJson(*user));
}

net::Response SetDisabled(net::Request& req, const Caller& caller, ApiContext& ctx, bool disabled) {
    auto id = PathId(req);
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "user not found");
    auto user = ctx.store.SetUserDisabled(caller.agency_id, *id, disabled, CutOffNow());
    if (!user) return ErrorResponse(user.error());
    return Ok(UserRowJson(*user));
}

net::Response Disable(net::Request& req, const Caller& caller, ApiContext& ctx) {
    return SetDisabled(req, caller, ctx, true);
}
net::Response Enable(net::Request& req, const Caller& caller, ApiContext& ctx) {
    return SetDisabled(req, caller, ctx, false);
}

net::Response ForceReset(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = PathId(req);
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "user not found");
    auto token = service::NewLinkToken();
    storage::UserInvite link;
    link.purpose = "reset";
    link.token_hash = token.hash;
    link.created_by_user_id = caller.user_id;
    link.expires_at =
        core::IsoUtc(std::chrono::system_clock::now() + std::chrono::seconds(ctx.settings.invite_ttl_seconds));
    auto stored = ctx.store.StartPasswordReset(caller.agency_id, *id, link, CutOffNow());
    if (!stored) return ErrorResponse(stored.error());
    return Ok(InviteWithLink(*stored, token.token), 201);
}

net::Response Invite(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    Validator v;
    auto email = v.Take(core::RequireText(*body, "email", 254));
    if (email && (email->find('@') == std::string::npos || email->find_first_of(" \t\r\n") != std::string::npos)) {
        v.Add("email", "email must be an email address");
    }
    auto role = TakeRole(*body, v);
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto token = service::NewLinkToken();
    storage::UserInvite invite;
    invite.agency_id = caller.agency_id;
    invite.purpose = "invite";
    invite.email = *email;
    invite.role = *role;
    invite.token_hash = token.hash;
    invite.created_by_user_id = caller.user_id;
    invite.expires_at =
        core::IsoUtc(std::chrono::system_clock::now() + std::chrono::seconds(ctx.settings.invite_ttl_seconds));
    auto stored = ctx.store.InsertInvite(invite);
    if (!stored) return ErrorResponse(stored.error());
    return Ok(InviteWithLink(*stored, token.token), 201);
}

net::Response ListInvites(net::Request&, const Caller& caller, ApiContext& ctx) {
    auto invites = ctx.store.ListPendingInvites(caller.agency_id, core::IsoUtc(std::chrono::system_clock::now()));
    if (!invites) return ErrorResponse(invites.error());
    json items = json::array();
    for (const auto& i : *invites) items.push_back(InviteJson(i));
    return Ok({{"items", items}});
}

net::Response RevokeInvite(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = PathId(req);
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "invite not found");
    auto revoked = ctx.store.RevokeInvite(caller.agency_id, *id);
    if (!revoked) return ErrorResponse(revoked.error());
    return Ok(InviteJson(*revoked));
}

/// Why a link cannot be used now (checked again, atomically, when it is used).
std::optional<core::Error> LinkUnusable(const core::Result<storage::UserInvite>& link) {
    if (!link) {
        if (link.error().code != ErrorCode::kNotFound) return link.error();
        return core::Error::Make(ErrorCode::kNotFound, "this link is not valid: ask your agency admin for a new one");
    }
    auto conflict = [](const char* m) { return core::Error{ErrorCode::kConflict, m, {}, nullptr}; };
    if (!link->used_at.empty()) return conflict("this link was already used: log in instead");
    if (!link->revoked_at.empty()) return conflict("this link was revoked: ask your agency admin for a new one");
    if (link->expires_at <= core::IsoUtc(std::chrono::system_clock::now())) {
        return conflict("this link has expired: ask your agency admin for a new one");
    }
    return std::nullopt;
}

/// Public: the link's token and the new password. The link is checked before the slow hash, and used once, in one
/// guarded update, after it (RedeemInvite).
void AcceptInvite(net::Request& req, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    Validator v;
    auto token = v.Take(core::RequireText(*body, "token", 128));
    auto password = TakePassword(*body, "password", v);
    if (!v.ok()) return reply(ErrorResponse(v.Finish()));
    const std::string token_hash = service::LinkTokenHash(*token);
    auto link = ctx.store.FindInviteByTokenHash(token_hash);
    if (auto refused = LinkUnusable(link)) return reply(ErrorResponse(*refused));
    if (auto policy = service::CheckPasswordPolicy(*password, {link->email}); !policy) {
        return reply(ErrorResponse(policy.error()));
    }
    auto hash = std::make_shared<core::Result<std::string>>(std::string{});
    auto work = [hash, password = *password]() { *hash = service::HashPassword(password); };
    auto answer = [&ctx, &req, reply, hash, token_hash, purpose = link->purpose]() {
        if (!*hash) return reply(ErrorResponse(hash->error()));
        auto user =
            ctx.store.RedeemInvite(token_hash, **hash, core::IsoUtc(std::chrono::system_clock::now()), CutOffNow());
        if (!user) return reply(ErrorResponse(user.error()));
        service::Claims who{user->id, user->agency_id, user->role, user->email, 0, 0};
        Audit(ctx, req, who, purpose == "reset" ? "user.password" : "user.accept", "user:" + std::to_string(user->id),
              purpose == "reset" ? "success: reset link used" : "success");
        reply(Ok({{"user", UserRowJson(*user)}}));
    };
    if (!ctx.hash_gate.Submit(std::move(work), std::move(answer))) {
        reply(ErrorResponse(ErrorCode::kRateLimited, "the server is busy checking passwords: try again in a second"));
    }
}

/// Every signed-in user: the current password (checked like a login, on the hash gate) and a new one. Other
/// sessions end; the caller logs in again with the new password.
void ChangeOwnPassword(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    Validator v;
    auto current = TakePassword(*body, "currentPassword", v);
    auto next = TakePassword(*body, "newPassword", v);
    if (!v.ok()) return reply(ErrorResponse(v.Finish()));
    if (*current == *next) {
        return reply(ErrorResponse(core::Error{ErrorCode::kValidation,
                                               "the new password must differ from the current one",
                                               {{"newPassword", "the new password must differ from the current one"}},
                                               nullptr}));
    }
    if (auto policy = service::CheckPasswordPolicy(*next, {caller.email}, "newPassword"); !policy) {
        return reply(ErrorResponse(policy.error()));
    }
    auto user = ctx.store.FindUserById(caller.user_id);
    if (!user) return reply(ErrorResponse(user.error()));
    struct Outcome {
        bool current_ok = false;
        core::Result<std::string> hash = std::string{};
    };
    auto outcome = std::make_shared<Outcome>();
    auto work = [outcome, stored = user->password_hash, current = *current, next = *next]() {
        outcome->current_ok = service::VerifyPassword(stored, current);
        if (outcome->current_ok) outcome->hash = service::HashPassword(next);
    };
    auto answer = [&ctx, &req, reply, outcome, caller]() {
        const std::string target = "user:" + std::to_string(caller.user_id);
        if (!outcome->current_ok) {
            Audit(ctx, req, caller, "user.password", target, "denied: wrong current password");
            return reply(ErrorResponse(core::Error{ErrorCode::kValidation,
                                                   "the current password is wrong",
                                                   {{"currentPassword", "the current password is wrong"}},
                                                   nullptr}));
        }
        if (!outcome->hash) return reply(ErrorResponse(outcome->hash.error()));
        auto changed = ctx.store.SetUserPassword(caller.user_id, *outcome->hash, CutOffNow());
        if (!changed) return reply(ErrorResponse(changed.error()));
        Audit(ctx, req, caller, "user.password", target, "success");
        reply(Ok({{"changed", true}}));
    };
    if (!ctx.hash_gate.Submit(std::move(work), std::move(answer))) {
        reply(ErrorResponse(ErrorCode::kRateLimited, "the server is busy checking passwords: try again in a second"));
    }
}

}  // namespace

void RegisterUserRoutes(net::Router& router, ApiContext& ctx) {
    auto admin = [&ctx](net::Response (*handler)(net::Request&, const Caller&, ApiContext&)) {
        return Authed(ctx, kAdminsOnly,
                      [&ctx, handler](net::Request& req, const Caller& caller) { return handler(req, caller, ctx); });
    };
    router.Add("GET", "/api/v1/users", admin(ListUsers));
    router.Add("PATCH", "/api/v1/users/{id}", Accepts(kJsonBody, Audited(ctx, "user.role", admin(ChangeRole))));
    router.Add("POST", "/api/v1/users/{id}/disable", Audited(ctx, "user.disable", admin(Disable)));
    router.Add("POST", "/api/v1/users/{id}/enable", Audited(ctx, "user.enable", admin(Enable)));
    router.Add("POST", "/api/v1/users/{id}/reset", Audited(ctx, "user.reset", admin(ForceReset)));
    router.Add("POST", "/api/v1/users/invites", Accepts(kJsonBody, Audited(ctx, "user.invite", admin(Invite))));
    router.Add("GET", "/api/v1/users/invites", admin(ListInvites));
    router.Add("DELETE", "/api/v1/users/invites/{id}", Audited(ctx, "user.invite_revoke", admin(RevokeInvite)));
    router.AddAsync("POST", "/api/v1/invites/accept", Accepts(kJsonBody, [&ctx](net::Request& req, net::Reply reply) {
                        AcceptInvite(req, ctx, std::move(reply));
                    }));
    router.AddAsync("POST", "/api/v1/auth/password",
                    Accepts(kJsonBody, AuthedAsync(ctx, kSignedIn,
                                                   [&ctx](net::Request& req, const Caller& caller, net::Reply reply) {
                                                       ChangeOwnPassword(req, caller, ctx, std::move(reply));
                                                   })));
}

}  // namespace haven::api
