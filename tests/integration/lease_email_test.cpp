// The tenant's email over the API (receipts by email, issue 13): kept when a lease is created or synced, a clear
// validation error for an address that cannot be one, and cleared by PATCH.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using LeaseEmail = GatewayTest;

json Fields(const json& email) {
    json f = {{"tenantName", "Wanjiku Kamau"},
              {"phoneNumber", "0708374149"},
              {"unit", "B4"},
              {"monthlyRent", 15000},
              {"accountReference", "B4"}};
    if (!email.is_null()) f["email"] = email;
    return f;
}

TEST_F(LeaseEmail, CreateAndSyncKeepTheEmailAndPatchClearsIt) {
    auto token = Login("manager@a.test");
    auto created = Api("POST", "/api/v1/leases", Fields("wanjiku@example.com"), token);
    ASSERT_EQ(created.status, 201) << created.body.dump();
    EXPECT_EQ(created.body["data"]["email"], "wanjiku@example.com");
    const std::string id = created.body["data"]["id"].dump();
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + id, nullptr, token).body["data"]["email"], "wanjiku@example.com");

    auto synced = Api("PUT", "/api/v1/leases/by-external/haven-lease-1", Fields("kamau@example.org"), token);
    ASSERT_EQ(synced.status, 201) << synced.body.dump();
    EXPECT_EQ(synced.body["data"]["email"], "kamau@example.org");
    auto resynced = Api("PUT", "/api/v1/leases/by-external/haven-lease-1", Fields(nullptr), token);
    ASSERT_EQ(resynced.status, 200) << resynced.body.dump();
    EXPECT_EQ(resynced.body["data"]["email"], "kamau@example.org") << "a sync without an email keeps it";

    auto cleared = Api("PATCH", "/api/v1/leases/" + id, {{"email", ""}}, token);
    ASSERT_EQ(cleared.status, 200) << cleared.body.dump();
    EXPECT_EQ(cleared.body["data"]["email"], nullptr);
}

TEST_F(LeaseEmail, AnAddressThatCannotBeOneIsRefusedByName) {
    auto token = Login("manager@a.test");
    for (const char* bad :
         {"wanjiku", "wanjiku@", "@example.com", "wanjiku@example", "wan jiku@example.com", "a@b@example.com"}) {
        for (const auto& [method, path] : {std::pair<std::string, std::string>{"POST", "/api/v1/leases"},
                                           {"PUT", "/api/v1/leases/by-external/haven-lease-2"}}) {
            auto r = Api(method, path, Fields(bad), token);
            EXPECT_EQ(r.status, 400) << method << " " << bad << " " << r.body.dump();
            EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
            ASSERT_TRUE(r.body["error"]["details"].is_array()) << r.body.dump();
            EXPECT_EQ(r.body["error"]["details"][0]["field"], "email") << r.body.dump();
        }
    }
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 0u) << "nothing was created";
}

}  // namespace
}  // namespace haven::testing
