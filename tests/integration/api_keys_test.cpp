// API keys (Authorization: Bearer hmk_...) and Haven's own JWTs, against a real gateway and simulator.
// Haven's tokens are made with npm `jose` by haven_jwt/make-token.mjs (node), as Haven's auth would make them.
#include <cstdio>
#include <ctime>
#include <fstream>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class ApiKeys : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([this](app::Config& c) { c.api_key_rate_per_minute = RatePerMinute(); });
        admin_ = Login("admin@a.test");
    }
    /// High enough for polling a push to its end; ApiKeyRateLimit sets a small one.
    virtual int64_t RatePerMinute() const { return 100000; }

    /// Creates a key as the admin and returns the create answer's data (with "key").
    json CreateKey(const std::string& name, const std::string& role) {
        auto r = Api("POST", "/api/v1/api-keys", {{"name", name}, {"role", role}}, admin_);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["data"];
    }

    std::string admin_;
};

TEST_F(ApiKeys, KeyIsShownOnceAndListedWithoutIt) {
    auto made = CreateKey("haven-backend", "manager");
    const std::string key = made["key"];
    EXPECT_EQ(key.rfind("hmk_", 0), 0u);
    EXPECT_EQ(key.size(), 4u + 43u);  // 32 bytes in unpadded base64url
    EXPECT_EQ(made["prefix"], key.substr(0, 12));
    EXPECT_EQ(made["createdBy"], "admin@a.test");

    auto list = Api("GET", "/api/v1/api-keys", nullptr, admin_);
    ASSERT_EQ(list.status, 200) << list.body.dump();
    ASSERT_EQ(list.body["data"]["items"].size(), 1u);
    const auto& item = list.body["data"]["items"][0];
    EXPECT_EQ(item["name"], "haven-backend");
    EXPECT_EQ(item["role"], "manager");
    EXPECT_FALSE(item.contains("key"));
    EXPECT_EQ(list.body.dump().find(key), std::string::npos);
    EXPECT_TRUE(item["lastUsedAt"].is_null());
}

TEST_F(ApiKeys, KeyPushesStkAndRecordsLastUse) {
    const std::string key = CreateKey("haven-backend", "manager")["key"];
    auto lease = CreateLease(key);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15000, lease["id"].get<int64_t>()), key);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto final_state = WaitFinal(key, push.body["data"]["checkoutRequestId"]);
    EXPECT_EQ(final_state["status"], "SUCCESS");

    auto list = Api("GET", "/api/v1/api-keys", nullptr, admin_);
    EXPECT_FALSE(list.body["data"]["items"][0]["lastUsedAt"].is_null());
}

TEST_F(ApiKeys, KeySeesOnlyItsAgency) {
    auto lease = CreateLease(admin_);
    auto other_admin = Login("admin@b.test");
    auto r = Api("POST", "/api/v1/api-keys", {{"name", "b"}, {"role", "admin"}}, other_admin);
    ASSERT_EQ(r.status, 201);
    const std::string b_key = r.body["data"]["key"];
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, b_key).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, admin_).status, 200);
}

class ApiKeyRateLimit : public ApiKeys {
  protected:
    int64_t RatePerMinute() const override { return 5; }
};

TEST_F(ApiKeyRateLimit, RateLimitedPerKey) {
    const std::string busy = CreateKey("busy", "viewer")["key"];
    const std::string quiet = CreateKey("quiet", "viewer")["key"];
    for (int i = 0; i < 5; ++i) ASSERT_EQ(Api("GET", "/api/v1/leases", nullptr, busy).status, 200) << i;
    auto limited = Api("GET", "/api/v1/leases", nullptr, busy);
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.body["error"]["code"], "RATE_LIMITED");
    ASSERT_TRUE(limited.headers.count("Retry-After"));
    EXPECT_GE(std::stoi(limited.headers["Retry-After"]), 1);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, quiet).status, 200);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, admin_).status, 200);  // people are not limited per key
}

TEST_F(ApiKeys, RevokedKeyIsRefusedAtOnce) {
    auto made = CreateKey("old", "admin");
    const std::string key = made["key"];
    ASSERT_EQ(Api("GET", "/api/v1/leases", nullptr, key).status, 200);
    auto revoked = Api("DELETE", "/api/v1/api-keys/" + made["id"].dump(), nullptr, admin_);
    ASSERT_EQ(revoked.status, 200) << revoked.body.dump();
    EXPECT_FALSE(revoked.body["data"]["revokedAt"].is_null());
    auto r = Api("GET", "/api/v1/leases", nullptr, key);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.body["error"]["code"], "UNAUTHORIZED");
}

TEST_F(ApiKeys, KeyOnlyAcceptedAsBearer) {
    const std::string key = CreateKey("k", "admin")["key"];
    EXPECT_EQ(Api("GET", "/api/v1/leases?api_key=" + key).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases?token=" + key).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, "", {{"X-API-Key", key}}).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, "", {{"Authorization", key}}).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, key + "x").status, 401);
}

TEST_F(ApiKeys, ViewerKeyCannotPayOut) {
    const std::string key = CreateKey("reader", "viewer")["key"];
    auto r = Api("POST", "/api/v1/mpesa/b2c",
                 {{"phoneNumber", "0708374149"}, {"amount", 100}, {"type", "business"}, {"remarks", "pay"}}, key,
                 {{"Idempotency-Key", "viewer-key-payout-1"}});
    EXPECT_EQ(r.status, 403) << r.body.dump();
    EXPECT_EQ(SimRequestCount("b2c"), 0);
}

TEST_F(ApiKeys, OnlyAdminsManageKeysAndKeysCannotMintKeys) {
    auto manager = Login("manager@a.test");
    EXPECT_EQ(Api("POST", "/api/v1/api-keys", {{"name", "x"}, {"role", "viewer"}}, manager).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/api-keys", nullptr, manager).status, 403);
    const std::string key = CreateKey("admin-key", "admin")["key"];
    EXPECT_EQ(Api("POST", "/api/v1/api-keys", {{"name", "x"}, {"role", "admin"}}, key).status, 403);
    EXPECT_EQ(Api("POST", "/api/v1/api-keys", {{"name", "x"}, {"role", "owner"}}, admin_).status, 400);
}

// --- Haven's JWTs ---

constexpr const char* kHavenSecret = "haven-shared-secret-for-tests-0123456789";
constexpr const char* kIssuer = "https://auth.haven.test";
constexpr const char* kAudience = "haven-mpesa";
constexpr const char* kHavenAgency = "65a1b2c3d4e5f6a7b8c9d0e1";

std::string RunNode(const std::string& args) {
    const std::string cmd = std::string("cd '") + HAVEN_JWT_TOOL_DIR + "' && node make-token.mjs " + args;
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    size_t n = 0;
    while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << cmd;
    return out;
}

std::string Quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class HavenJwt : public GatewayTest {
  protected:
    static void SetUpTestSuite() {
        // ctest runs these tests as separate processes, two at a time: flock lets one of them install.
        const std::string install = std::string("cd '") + HAVEN_JWT_TOOL_DIR +
                                    "' && flock .npm-install.lock sh -c '[ -f node_modules/.package-lock.json ] || "
                                    "npm ci --no-audit --no-fund --loglevel=error'";
        ASSERT_EQ(std::system(install.c_str()), 0) << "npm ci in " << HAVEN_JWT_TOOL_DIR;
        std::string pattern = (std::filesystem::temp_directory_path() / "haven-jwt-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        keys_dir_ = pattern;
        RunNode("keys " + Quote(keys_dir_.string()));
        ASSERT_TRUE(std::filesystem::exists(keys_dir_ / "jwks.json"));
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        std::filesystem::remove_all(keys_dir_, ec);
    }

    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.haven_jwt.secret = kHavenSecret;
            c.haven_jwt.public_key_file = (keys_dir_ / "es256-public.pem").string();
            c.haven_jwt.jwks_file = (keys_dir_ / "jwks.json").string();
            c.haven_jwt.issuer = kIssuer;
            c.haven_jwt.audience = kAudience;
            c.haven_jwt.role_map = {{"landlord", core::Role::kAdmin},
                                    {"property_manager", core::Role::kManager},
                                    {"agent", core::Role::kViewer}};
        });
        admin_ = Login("admin@a.test");
        auto linked = Api("PATCH", "/api/v1/agency", {{"externalId", kHavenAgency}}, admin_);
        ASSERT_EQ(linked.status, 200) << linked.body.dump();
        ASSERT_EQ(linked.body["data"]["externalId"], kHavenAgency);
    }

    static json Claims(const std::string& role, int64_t exp_in = 600) {
        const int64_t now = std::time(nullptr);
        return {{"sub", "haven-user-42"}, {"agencyId", kHavenAgency}, {"role", role},
                {"iss", kIssuer},         {"aud", kAudience},         {"iat", now},
                {"exp", now + exp_in}};
    }

    static std::string Sign(json spec) { return RunNode("sign " + Quote(spec.dump())); }
    static std::string Hs256(const json& claims) {
        return Sign({{"alg", "HS256"}, {"secret", kHavenSecret}, {"claims", claims}});
    }
    static std::string Es256Pem(const json& claims) {
        return Sign({{"alg", "ES256"}, {"pemFile", (keys_dir_ / "es256-private.pem").string()}, {"claims", claims}});
    }
    static std::string Jwks(const std::string& alg, const std::string& kid, const json& claims) {
        return Sign(
            {{"alg", alg}, {"jwkFile", (keys_dir_ / "jwks-private.json").string()}, {"kid", kid}, {"claims", claims}});
    }

    int LeasesStatus(const std::string& token) { return Api("GET", "/api/v1/leases", nullptr, token).status; }

    static std::filesystem::path keys_dir_;
    std::string admin_;
};

std::filesystem::path HavenJwt::keys_dir_;

TEST_F(HavenJwt, Hs256TokenActsAsTheMappedAgencyAndRole) {
    auto lease = CreateLease(admin_);
    const std::string token = Hs256(Claims("landlord"));
    auto r = Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, token);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    // landlord = admin: may create leases and manage API keys' list
    EXPECT_EQ(Api("POST", "/api/v1/leases",
                  {{"tenantName", "Otieno"},
                   {"phoneNumber", "0708374149"},
                   {"unit", "C1"},
                   {"monthlyRent", 9000},
                   {"accountReference", "C1"}},
                  token)
                  .status,
              201);
    EXPECT_EQ(Api("GET", "/api/v1/api-keys", nullptr, token).status, 200);
}

TEST_F(HavenJwt, Es256PemTokenIsAcceptedWithItsRole) {
    const std::string token = Es256Pem(Claims("agent"));  // agent = viewer
    EXPECT_EQ(LeasesStatus(token), 200);
    EXPECT_EQ(Api("POST", "/api/v1/leases",
                  {{"tenantName", "Otieno"},
                   {"phoneNumber", "0708374149"},
                   {"unit", "C1"},
                   {"monthlyRent", 9000},
                   {"accountReference", "C1"}},
                  token)
                  .status,
              403);
}

TEST_F(HavenJwt, JwksKeysArePickedByKid) {
    EXPECT_EQ(LeasesStatus(Jwks("RS256", "rsa-1", Claims("property_manager"))), 200);
    EXPECT_EQ(LeasesStatus(Jwks("ES256", "ec-1", Claims("property_manager"))), 200);
    auto token = Jwks("RS256", "rsa-1", Claims("property_manager"));
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15000), token);
    EXPECT_EQ(push.status, 200) << push.body.dump();
}

TEST_F(HavenJwt, ChangedAlgorithmsAreRefused) {
    json none = {{"alg", "none"}, {"claims", Claims("landlord")}};
    EXPECT_EQ(LeasesStatus(Sign(none)), 401);
    // HS256 "signed" with the public key (the key-confusion attack)
    std::ifstream pem_in(keys_dir_ / "es256-public.pem");
    const std::string pem((std::istreambuf_iterator<char>(pem_in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(LeasesStatus(Sign({{"alg", "HS256"}, {"secret", pem}, {"claims", Claims("landlord")}})), 401);
    // a JWKS key used with another algorithm than its own
    EXPECT_EQ(LeasesStatus(Sign({{"alg", "HS256"}, {"secret", pem}, {"kid", "ec-1"}, {"claims", Claims("landlord")}})),
              401);
    // a key id the JWKS does not hold
    EXPECT_EQ(LeasesStatus(Sign({{"alg", "ES256"},
                                 {"pemFile", (keys_dir_ / "es256-private.pem").string()},
                                 {"kid", "nope"},
                                 {"claims", Claims("landlord")}})),
              401);
}

TEST_F(HavenJwt, WrongIssuerAudienceExpiryAndMissingExpAreRefused) {
    auto claims = Claims("landlord");
    claims["iss"] = "https://evil.test";
    EXPECT_EQ(LeasesStatus(Hs256(claims)), 401);
    claims = Claims("landlord");
    claims["aud"] = "someone-else";
    EXPECT_EQ(LeasesStatus(Hs256(claims)), 401);
    EXPECT_EQ(LeasesStatus(Hs256(Claims("landlord", -120))), 401);  // expired beyond the 60 s skew
    claims = Claims("landlord");
    claims.erase("exp");
    auto r = Api("GET", "/api/v1/leases", nullptr, Hs256(claims));
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("exp"), std::string::npos);
    claims = Claims("landlord");
    claims["nbf"] = std::time(nullptr) + 600;
    EXPECT_EQ(LeasesStatus(Hs256(claims)), 401);
    claims = Claims("landlord");
    claims["aud"] = json::array({"other", kAudience});
    EXPECT_EQ(LeasesStatus(Hs256(claims)), 200);
}

TEST_F(HavenJwt, UnknownAgencyOrRoleIsForbidden) {
    auto claims = Claims("landlord");
    claims["agencyId"] = "000000000000000000000000";
    auto r = Api("GET", "/api/v1/leases", nullptr, Hs256(claims));
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("agency"), std::string::npos);
    EXPECT_EQ(LeasesStatus(Hs256(Claims("tenant"))), 403);
}

TEST_F(HavenJwt, OurOwnSessionsStillWork) { EXPECT_EQ(LeasesStatus(admin_), 200); }

TEST_F(HavenJwt, ExternalIdIsUniqueAcrossAgencies) {
    auto other = Login("admin@b.test");
    auto r = Api("PATCH", "/api/v1/agency", {{"externalId", kHavenAgency}}, other);
    EXPECT_EQ(r.status, 409) << r.body.dump();
}

}  // namespace
}  // namespace haven::testing
