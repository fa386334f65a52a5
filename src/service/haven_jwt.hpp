#pragma once
// Haven's own JWTs, accepted when configured (HAVEN_JWT_*), so Haven's backend and frontend call our routes with the
// token they already hold. Verification follows RFC 8725: each key allows exactly one algorithm (HS256 for the shared
// secret, RS256 or ES256 from the key's own type), a token whose header names another algorithm is refused ("none"
// and HS256-signed-with-the-public-key included), `exp` is required, `nbf` honoured, at most 60 s of clock skew,
// and the issuer and audience are checked when configured. Signatures are checked by cpp-jwt, which takes PEM keys;
// JWKS keys (RSA n/e, EC P-256 x/y) are converted to PEM with OpenSSL when the gateway starts.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/models.hpp"

namespace haven::service {

struct HavenJwtSettings {
    std::string secret;           // HAVEN_JWT_SECRET: HS256 shared secret
    std::string public_key_file;  // HAVEN_JWT_PUBLIC_KEY_FILE: PEM public key (RSA -> RS256, EC P-256 -> ES256)
    std::string jwks_file;        // HAVEN_JWT_JWKS_FILE: a JWKS document ({"keys": [...]}), keys picked by "kid"
    std::string issuer;           // HAVEN_JWT_ISSUER: required "iss" when set
    std::string audience;         // HAVEN_JWT_AUDIENCE: required in "aud" (a string or an array) when set
    std::string agency_claim = "agencyId";       // HAVEN_JWT_AGENCY_CLAIM: Haven's agency id (agencies.external_id)
    std::string role_claim = "role";             // HAVEN_JWT_ROLE_CLAIM
    std::string subject_claim = "sub";           // HAVEN_JWT_SUBJECT_CLAIM: who, for the audit log
    std::map<std::string, core::Role> role_map;  // HAVEN_JWT_ROLE_MAP; empty: admin, manager, viewer as named
    int64_t max_skew_seconds = 60;

    bool Enabled() const { return !secret.empty() || !public_key_file.empty() || !jwks_file.empty(); }
};

/// Parses "landlord=admin,property_manager=manager,agent=viewer". kValidation on a malformed entry or unknown role.
core::Result<std::map<std::string, core::Role>> ParseRoleMap(std::string_view text);

/// Who a verified Haven token speaks for.
struct HavenIdentity {
    std::string agency_external_id;  // the agency claim, to be mapped through agencies.external_id
    core::Role role = core::Role::kViewer;
    std::string subject;  // the subject claim ("" when absent)
};

class HavenJwtVerifier {
  public:
    /// Reads the key files and converts JWKS keys. kValidation naming the setting when a file is missing or holds
    /// no usable key.
    static core::Result<std::shared_ptr<const HavenJwtVerifier>> Load(const HavenJwtSettings& settings);

    /// Verifies `token` at `now_unix`. kUnauthenticated ("<reason>") for a bad signature, a refused algorithm, an
    /// unknown kid, expiry, a missing exp, nbf in the future, a wrong issuer or audience, or a missing agency claim;
    /// kForbidden when the role claim is missing or not in the role map.
    core::Result<HavenIdentity> Verify(std::string_view token, int64_t now_unix) const;

    /// One verification key: the only algorithm it allows and its secret or PEM.
    struct Key {
        std::string kid;  // "" for the secret and the PEM file
        std::string alg;  // HS256 | RS256 | ES256
        std::string material;
    };

  private:
    HavenJwtSettings settings_;
    std::vector<Key> keys_;
};

/// A JWK (RSA or EC P-256 public key) as a PEM SubjectPublicKeyInfo, with the algorithm it is pinned to
/// (the JWK's "alg" when present, which must agree with its type). kValidation with the reason otherwise.
core::Result<HavenJwtVerifier::Key> JwkToKey(const std::string& jwk_json);

}  // namespace haven::service
