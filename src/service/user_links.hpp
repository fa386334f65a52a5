#pragma once
// One-time links for invites and forced password resets: the token is 32 random bytes (base64url), shown once;
// only its SHA-256 (hex) is stored, so a copy of the database opens no account.
#include <string>
#include <string_view>

namespace haven::service {

struct LinkToken {
    std::string token;  // goes into /invite.html#token=...
    std::string hash;   // stored
};

/// A fresh token and its hash.
LinkToken NewLinkToken();

/// The stored form of `token`: SHA-256, lowercase hex.
std::string LinkTokenHash(std::string_view token);

/// The page a link opens: "/invite.html#token=<token>" (a fragment, so the token never reaches a server log).
std::string LinkPath(std::string_view token);

}  // namespace haven::service
