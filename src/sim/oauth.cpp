// GET /oauth/v1/generate?grant_type=client_credentials with Basic auth (docs/daraja.md §2).
#include "sim/core.hpp"

namespace haven::sim {

namespace {

net::Response Generate(Core& c, DarajaCall& call) {
    const net::Request& req = call.req;
    // A trailing space or any other value is refused, as Daraja does.
    auto grant = req.Query("grant_type");
    if (!grant || *grant != "client_credentials") return c.DarajaError("400.008.02", "Invalid grant type passed");
    auto header = req.Header("Authorization").value_or("");
    if (header.size() < 7 || header.substr(0, 6) != "Basic ") {
        return c.DarajaError("400.008.01", "Invalid Authentication passed");
    }
    auto decoded = Base64Decode(Trim(header.substr(6)));
    if (!decoded) return c.DarajaError("400.008.01", "Invalid Authentication passed");
    auto colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) return c.DarajaError("400.008.01", "Invalid Authentication passed");
    std::string consumer_key = decoded->substr(0, colon);
    std::string consumer_secret = decoded->substr(colon + 1);
    if (!c.options.consumer_key.empty() &&
        (consumer_key != c.options.consumer_key || consumer_secret != c.options.consumer_secret)) {
        return c.DarajaError("400.008.01", "Invalid Authentication passed");
    }
    std::string token = c.ids.AccessToken();
    auto now = c.Now();
    {
        std::lock_guard lock(c.mu);
        for (auto it = c.tokens.begin(); it != c.tokens.end();) {
            it = (c.options.invalidate_old_tokens || it->second.expires <= now) ? c.tokens.erase(it) : std::next(it);
        }
        c.tokens[token] = AccessToken{now + c.options.token_lifetime};
    }
    return net::Response::Json(
        200, {{"access_token", token}, {"expires_in", std::to_string(c.options.token_lifetime.count())}});
}

}  // namespace

void RegisterOauth(net::Router& router, const std::shared_ptr<Core>& core) {
    AddDarajaRoute(router, core, "GET", "/oauth/v1/generate", {"oauth", false, "", {}, Generate});
}

}  // namespace haven::sim
