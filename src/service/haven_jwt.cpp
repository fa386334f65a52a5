#include "service/haven_jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <jwt/jwt.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/state.hpp"
#include "service/auth.hpp"

namespace haven::service {

using core::ErrorCode;
using nlohmann::json;

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct CtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BldFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

core::Error Invalid(const std::string& why) { return core::Error{ErrorCode::kValidation, why}; }

/// The algorithm a public key allows, from its type: RSA -> RS256, EC on P-256 -> ES256.
core::Result<std::string> AlgorithmFor(EVP_PKEY* key) {
    if (EVP_PKEY_is_a(key, "RSA")) return std::string("RS256");
    if (EVP_PKEY_is_a(key, "EC")) {
        char group[64] = {};
        size_t len = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
            std::string_view(group, len) == "prime256v1") {
            return std::string("ES256");
        }
        return tl::unexpected(Invalid("an EC key must be on P-256 (ES256)"));
    }
    return tl::unexpected(Invalid("the key must be RSA (RS256) or EC P-256 (ES256)"));
}

core::Result<std::string> ToPem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return tl::unexpected(Invalid("cannot write the key"));
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

core::Result<std::string> Base64UrlField(const json& jwk, const char* name) {
    std::string out;
    if (!jwk.contains(name) || !jwk[name].is_string() || !Base64UrlDecode(jwk[name].get<std::string>(), out) ||
        out.empty()) {
        return tl::unexpected(Invalid(std::string("\"") + name + "\" must be base64url"));
    }
    return out;
}

core::Result<Pkey> FromData(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return tl::unexpected(Invalid(std::string("not a valid ") + type + " public key"));
    }
    return Pkey(key);
}

core::Result<Pkey> RsaFromJwk(const json& jwk) {
    auto n = Base64UrlField(jwk, "n");
    if (!n) return tl::unexpected(n.error());
    auto e = Base64UrlField(jwk, "e");
    if (!e) return tl::unexpected(e.error());
    std::unique_ptr<BIGNUM, BnFree> bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
    std::unique_ptr<BIGNUM, BnFree> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
        return tl::unexpected(Invalid("cannot build the RSA key"));
    }
    return FromData("RSA", bld.get());
}

core::Result<Pkey> EcFromJwk(const json& jwk) {
    if (jwk.value("crv", "") != "P-256") return tl::unexpected(Invalid("only EC keys on P-256 are supported"));
    auto x = Base64UrlField(jwk, "x");
    if (!x) return tl::unexpected(x.error());
    auto y = Base64UrlField(jwk, "y");
    if (!y) return tl::unexpected(y.error());
    if (x->size() != 32 || y->size() != 32) return tl::unexpected(Invalid("P-256 coordinates are 32 bytes each"));
    const std::string point = std::string(1, '\x04') + *x + *y;  // uncompressed SEC1 point
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        return tl::unexpected(Invalid("cannot build the EC key"));
    }
    return FromData("EC", bld.get());
}

core::Result<std::string> ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return tl::unexpected(Invalid("cannot read " + path));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

core::Error Refused(const std::string& why) {
    return core::Error{ErrorCode::kUnauthenticated, "your Haven token is not accepted (" + why + ")"};
}

/// The JSON of one dot-separated part of a compact JWS.
std::optional<json> DecodePart(std::string_view part) {
    std::string text;
    if (!Base64UrlDecode(part, text)) return std::nullopt;
    auto j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

/// A claim as a string: strings as they are, integers in decimal (an agency id may be either).
std::string ClaimText(const json& payload, const std::string& name) {
    if (!payload.contains(name)) return "";
    const auto& v = payload[name];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return v.dump();
    return "";
}

}  // namespace

core::Result<std::map<std::string, core::Role>> ParseRoleMap(std::string_view text) {
    std::map<std::string, core::Role> out;
    std::stringstream list{std::string(text)};
    std::string entry;
    while (std::getline(list, entry, ',')) {
        auto trim = [](std::string s) {
            const auto first = s.find_first_not_of(" \t");
            const auto last = s.find_last_not_of(" \t");
            return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
        };
        entry = trim(entry);
        if (entry.empty()) continue;
        const auto eq = entry.find('=');
        if (eq == std::string::npos)
            return tl::unexpected(Invalid("expected haven_role=our_role, got '" + entry + "'"));
        auto role = core::ParseRole(trim(entry.substr(eq + 1)));
        const std::string name = trim(entry.substr(0, eq));
        if (!role || name.empty()) {
            return tl::unexpected(Invalid("'" + entry + "': the role after '=' must be admin, manager or viewer"));
        }
        out[name] = *role;
    }
    return out;
}

core::Result<HavenJwtVerifier::Key> JwkToKey(const std::string& jwk_json) {
    const auto jwk = json::parse(jwk_json, nullptr, false);
    if (!jwk.is_object()) return tl::unexpected(Invalid("a JWK must be a JSON object"));
    if (jwk.contains("use") && jwk["use"] != "sig") return tl::unexpected(Invalid("the key is not for signatures"));
    const std::string kty = jwk.value("kty", "");
    core::Result<Pkey> key = kty == "RSA"  ? RsaFromJwk(jwk)
                             : kty == "EC" ? EcFromJwk(jwk)
                                           : core::Result<Pkey>(tl::unexpected(Invalid("kty must be RSA or EC")));
    if (!key) return tl::unexpected(key.error());
    auto alg = AlgorithmFor(key->get());
    if (!alg) return tl::unexpected(alg.error());
    if (jwk.contains("alg") && jwk["alg"] != *alg) {
        return tl::unexpected(Invalid("the key's \"alg\" does not match its type (expected " + *alg + ")"));
    }
    auto pem = ToPem(key->get());
    if (!pem) return tl::unexpected(pem.error());
    return HavenJwtVerifier::Key{jwk.value("kid", ""), *alg, *pem};
}

core::Result<std::shared_ptr<const HavenJwtVerifier>> HavenJwtVerifier::Load(const HavenJwtSettings& settings) {
    auto v = std::make_shared<HavenJwtVerifier>();
    v->settings_ = settings;
    if (!settings.secret.empty()) v->keys_.push_back({"", "HS256", settings.secret});
    if (!settings.public_key_file.empty()) {
        auto pem = ReadFile(settings.public_key_file);
        if (!pem) return tl::unexpected(pem.error());
        std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
        Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
        if (!key) return tl::unexpected(Invalid(settings.public_key_file + " holds no PEM public key"));
        auto alg = AlgorithmFor(key.get());
        if (!alg) return tl::unexpected(alg.error());
        v->keys_.push_back({"", *alg, *pem});
    }
    if (!settings.jwks_file.empty()) {
        auto text = ReadFile(settings.jwks_file);
        if (!text) return tl::unexpected(text.error());
        const auto doc = json::parse(*text, nullptr, false);
        if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array() || doc["keys"].empty()) {
            return tl::unexpected(Invalid(settings.jwks_file + " is not a JWKS document ({\"keys\": [...]})"));
        }
        for (const auto& jwk : doc["keys"]) {
            auto key = JwkToKey(jwk.dump());
            if (!key) return tl::unexpected(Invalid(settings.jwks_file + ": " + key.error().message));
            v->keys_.push_back(std::move(*key));
        }
    }
    return std::shared_ptr<const HavenJwtVerifier>(std::move(v));
}

core::Result<HavenIdentity> HavenJwtVerifier::Verify(std::string_view token, int64_t now_unix) const {
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return tl::unexpected(Refused("malformed"));
    auto header = DecodePart(token.substr(0, dot1));
    auto payload = DecodePart(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!header || !payload) return tl::unexpected(Refused("malformed"));
    if (!(*header)["alg"].is_string()) return tl::unexpected(Refused("no algorithm"));
    const std::string alg = (*header)["alg"].get<std::string>();
    const std::string kid = header->value("kid", "");
    if (header->contains("crit")) return tl::unexpected(Refused("\"crit\" is not supported"));

    // Registered claims first (RFC 8725: exp required), so a refusal names the real reason.
    const json& p = *payload;
    // NumericDate may have a fraction: compared as doubles, so no value can overflow.
    const double now = static_cast<double>(now_unix);
    const double skew = static_cast<double>(settings_.max_skew_seconds);
    if (!p.contains("exp") || !p["exp"].is_number()) return tl::unexpected(Refused("no exp"));
    if (now >= p["exp"].get<double>() + skew) return tl::unexpected(Refused("expired"));
    if (p.contains("nbf")) {
        if (!p["nbf"].is_number()) return tl::unexpected(Refused("malformed nbf"));
        if (now + skew < p["nbf"].get<double>()) return tl::unexpected(Refused("not valid yet"));
    }
    if (!settings_.issuer.empty() && p.value("iss", json()) != settings_.issuer) {
        return tl::unexpected(Refused("wrong issuer"));
    }
    if (!settings_.audience.empty()) {
        const json aud = p.value("aud", json());
        const bool ok = (aud.is_string() && aud == settings_.audience) ||
                        (aud.is_array() && std::find(aud.begin(), aud.end(), settings_.audience) != aud.end());
        if (!ok) return tl::unexpected(Refused("wrong audience"));
    }

    // The key decides the algorithm, never the token: only keys pinned to the header's algorithm are tried.
    bool known_kid = kid.empty();
    bool verified = false;
    for (const Key& key : keys_) {
        if (!kid.empty() && key.kid != kid) continue;
        known_kid = true;
        if (key.alg != alg) continue;
        std::error_code ec;
        try {
            (void)jwt::decode(jwt::string_view(token.data(), token.size()), jwt::params::algorithms({key.alg}), ec,
                              jwt::params::secret(key.material), jwt::params::verify(true),
                              jwt::params::leeway(static_cast<uint32_t>(settings_.max_skew_seconds)));
        } catch (const std::exception&) {
            ec = std::make_error_code(std::errc::invalid_argument);
        }
        // cpp-jwt checks exp/nbf before the signature, so only a clean pass counts; the claims were checked above.
        if (!ec) {
            verified = true;
            break;
        }
    }
    if (!known_kid) return tl::unexpected(Refused("unknown key id"));
    if (!verified) return tl::unexpected(Refused("bad signature or algorithm not allowed"));

    HavenIdentity out;
    out.agency_external_id = ClaimText(p, settings_.agency_claim);
    if (out.agency_external_id.empty()) return tl::unexpected(Refused("no " + settings_.agency_claim + " claim"));
    const std::string role = ClaimText(p, settings_.role_claim);
    std::optional<core::Role> mapped;
    if (settings_.role_map.empty()) {
        mapped = core::ParseRole(role);
    } else if (auto it = settings_.role_map.find(role); it != settings_.role_map.end()) {
        mapped = it->second;
    }
    if (!mapped) {
        return tl::unexpected(core::Error{ErrorCode::kForbidden,
                                          "your Haven role ('" + role + "') has no access here; ask an agency admin"});
    }
    out.role = *mapped;
    out.subject = ClaimText(p, settings_.subject_claim);
    return out;
}

}  // namespace haven::service
