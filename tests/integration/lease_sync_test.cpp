// Haven's backend names leases by its own ids (MongoDB ObjectIds): it syncs them with
// PUT /api/v1/leases/by-external/{externalId} and then uses that id wherever a leaseId is taken.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using LeaseSync = GatewayTest;

constexpr const char* kHavenLeaseId = "6571b2c9e4b0a1f2c3d4e5f6";

json LeaseFields(int64_t rent = 15000) {
    return {{"tenantName", "Wanjiku Kamau"},
            {"phoneNumber", "0708374149"},
            {"unit", "B4"},
            {"monthlyRent", rent},
            {"accountReference", "B4"}};
}

TEST_F(LeaseSync, PutCreatesThenUpdatesTheSameLease) {
    auto token = Login("manager@a.test");
    auto created = Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(), token);
    ASSERT_EQ(created.status, 201) << created.body.dump();
    EXPECT_EQ(created.body["data"]["externalId"], kHavenLeaseId);
    const auto id = created.body["data"]["id"];
    ASSERT_TRUE(id.is_number_integer());

    auto again = Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(18000), token);
    ASSERT_EQ(again.status, 200) << again.body.dump();
    EXPECT_EQ(again.body["data"]["id"], id);
    EXPECT_EQ(again.body["data"]["monthlyRent"], 18000);

    auto by_external = Api("GET", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, nullptr, token);
    ASSERT_EQ(by_external.status, 200);
    EXPECT_EQ(by_external.body["data"]["id"], id);
    auto by_ours = Api("GET", "/api/v1/leases/" + id.dump(), nullptr, token);
    ASSERT_EQ(by_ours.status, 200);
    EXPECT_EQ(by_ours.body["data"]["externalId"], kHavenLeaseId);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 1u);

    // Another agency neither sees it nor collides with it.
    auto other = Login("admin@b.test");
    EXPECT_EQ(Api("GET", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, nullptr, other).status, 404);
}

TEST_F(LeaseSync, BadExternalIdsAndViewersAreRefusedAndChangeNothing) {
    auto token = Login("admin@a.test");
    for (const char* bad : {"12345", "has%20space", "semi%3Bcolon"}) {
        auto r = Api("PUT", std::string("/api/v1/leases/by-external/") + bad, LeaseFields(), token);
        EXPECT_EQ(r.status, 400) << bad << " " << r.body.dump();
        EXPECT_EQ(r.body["success"], false);
        EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR") << r.body.dump();
    }
    auto mismatch = LeaseFields();
    mismatch["externalId"] = "another-id";
    EXPECT_EQ(Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, mismatch, token).status, 400);
    auto viewer = Login("viewer@a.test");
    EXPECT_EQ(Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(), viewer).status,
              403);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 0u);
}

TEST_F(LeaseSync, CreateWithAnExternalIdAndADuplicateIsAConflict) {
    auto token = Login("admin@a.test");
    auto body = LeaseFields();
    body["externalId"] = "lease-id-here";
    auto first = Api("POST", "/api/v1/leases", body, token);
    ASSERT_EQ(first.status, 201) << first.body.dump();
    EXPECT_EQ(first.body["data"]["externalId"], "lease-id-here");
    auto second = Api("POST", "/api/v1/leases", body, token);
    EXPECT_EQ(second.status, 409) << second.body.dump();
    auto plain = Api("POST", "/api/v1/leases", LeaseFields(), token);
    ASSERT_EQ(plain.status, 201);
    EXPECT_TRUE(plain.body["data"]["externalId"].is_null());
}

TEST_F(LeaseSync, ListFiltersTakeEitherIdAndAnUnknownExternalIdSaysHowToCreateIt) {
    auto token = Login("admin@a.test");
    auto created = Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(), token);
    ASSERT_EQ(created.status, 201);
    const std::string ours = created.body["data"]["id"].dump();
    for (const std::string& key : {ours, std::string(kHavenLeaseId)}) {
        EXPECT_EQ(Api("GET", "/api/v1/payments?leaseId=" + key, nullptr, token).status, 200) << key;
        EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions?leaseId=" + key, nullptr, token).status, 200) << key;
    }
    for (const std::string& path : {std::string("/api/v1/payments?leaseId=unknown-lease"),
                                    std::string("/api/v1/mpesa/transactions?leaseId=unknown-lease")}) {
        auto r = Api("GET", path, nullptr, token);
        EXPECT_EQ(r.status, 400) << path;
        EXPECT_NE(r.body.dump().find("PUT /api/v1/leases/by-external/unknown-lease"), std::string::npos)
            << r.body.dump();
    }
}

}  // namespace
}  // namespace haven::testing

namespace haven::testing {
namespace {

TEST_F(LeaseSync, APushNamesItsLeaseByHavensIdAndAnUnknownOneIsA400) {
    auto token = Login("admin@a.test");
    auto created = Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(), token);
    ASSERT_EQ(created.status, 201);
    auto body = StkBody(15000);
    body["leaseId"] = kHavenLeaseId;  // the seed's "leaseId": "lease-id-here", a string
    auto push = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto done = WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    EXPECT_EQ(done["leaseId"], created.body["data"]["id"]);
    auto payments = Api("GET", std::string("/api/v1/payments?leaseId=") + kHavenLeaseId, nullptr, token);
    ASSERT_EQ(payments.status, 200);
    EXPECT_EQ(payments.body["data"].size(), 1u);

    body["leaseId"] = "lease-id-here";
    auto unknown = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    EXPECT_EQ(unknown.status, 400) << unknown.body.dump();
    EXPECT_NE(unknown.body.dump().find("PUT /api/v1/leases/by-external/lease-id-here"), std::string::npos);
    body["leaseId"] = "12 34";
    EXPECT_EQ(Api("POST", "/api/v1/mpesa/stk-push", body, token).status, 400);
    auto list = Api("GET", "/api/v1/mpesa/transactions", nullptr, token);
    EXPECT_EQ(list.body["data"]["items"].size(), 1u);  // the refused pushes left no row
}

TEST_F(LeaseSync, TransactionAnswersCarryHavensLeaseIdBesideOurs) {
    auto token = Login("admin@a.test");
    auto synced = Api("PUT", std::string("/api/v1/leases/by-external/") + kHavenLeaseId, LeaseFields(), token);
    ASSERT_EQ(synced.status, 201) << synced.body.dump();
    const json our_id = synced.body["data"]["id"];
    auto body = StkBody(15000);
    body["leaseId"] = kHavenLeaseId;
    auto push = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string checkout = push.body["data"]["checkoutRequestId"];
    const json tx_id = push.body["data"]["transactionId"];
    auto done = WaitFinal(token, checkout);
    ASSERT_EQ(done["status"], "SUCCESS") << done.dump();
    // A lease of ours without an external id, and a push without any lease: both show null.
    auto plain = CreateLease(token, "P1");
    auto plain_push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15000, plain["id"].get<int64_t>()), token);
    ASSERT_EQ(plain_push.status, 200) << plain_push.body.dump();
    // One prompt per phone at a time (Daraja refuses a second while one is open): let this one finish first.
    WaitFinal(token, plain_push.body["data"]["checkoutRequestId"]);
    auto no_lease = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15000), token);
    ASSERT_EQ(no_lease.status, 200) << no_lease.body.dump();

    auto expect_both = [&](const json& item, const std::string& where) {
        EXPECT_EQ(item["leaseId"], our_id) << where << ": " << item.dump();
        EXPECT_EQ(item["leaseExternalId"], kHavenLeaseId) << where << ": " << item.dump();
    };
    expect_both(Api("GET", "/api/v1/mpesa/status/" + checkout, nullptr, token).body["data"], "status");
    expect_both(done, "status-detailed");
    expect_both(Api("GET", "/api/v1/mpesa/transactions/" + tx_id.dump(), nullptr, token).body["data"], "detail");
    auto filtered = Api("GET", std::string("/api/v1/mpesa/transactions?leaseId=") + kHavenLeaseId, nullptr, token);
    ASSERT_EQ(filtered.body["data"]["items"].size(), 1u) << filtered.body.dump();
    expect_both(filtered.body["data"]["items"][0], "list");
    auto payments = Api("GET", std::string("/api/v1/payments?leaseId=") + kHavenLeaseId, nullptr, token);
    ASSERT_EQ(payments.body["data"].size(), 1u) << payments.body.dump();
    expect_both(payments.body["data"][0], "payments");

    auto all = Api("GET", "/api/v1/mpesa/transactions", nullptr, token);
    ASSERT_EQ(all.body["data"]["items"].size(), 3u) << all.body.dump();
    for (const auto& item : all.body["data"]["items"]) {
        ASSERT_TRUE(item.contains("leaseExternalId")) << item.dump();
        if (item["leaseId"] == our_id)
            EXPECT_EQ(item["leaseExternalId"], kHavenLeaseId);
        else
            EXPECT_TRUE(item["leaseExternalId"].is_null()) << item.dump();
    }
    const std::string plain_checkout = plain_push.body["data"]["checkoutRequestId"];
    auto plain_status = Api("GET", "/api/v1/mpesa/status/" + plain_checkout, nullptr, token).body["data"];
    EXPECT_EQ(plain_status["leaseId"], plain["id"]);
    EXPECT_TRUE(plain_status["leaseExternalId"].is_null()) << plain_status.dump();
}

}  // namespace
}  // namespace haven::testing
