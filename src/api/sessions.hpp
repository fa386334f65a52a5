#pragma once
// The answer of a login (and of the steps that finish one): the session's tokens, with the refresh token also set
// as an HttpOnly cookie for the browser, or the challenge a second factor needs.
#include "net/http.hpp"
#include "service/auth.hpp"

namespace haven::api {

/// 200 with {token, expiresIn, refreshToken, refreshExpiresIn, user} (and Set-Cookie), or, while a second factor is
/// due, {twoFactorRequired | twoFactorSetupRequired: true, challenge, challengeExpiresIn}.
net::Response LoginAnswer(const service::LoginSuccess& login);

}  // namespace haven::api
