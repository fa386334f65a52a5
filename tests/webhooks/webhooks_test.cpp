// Webhooks over loopback, end to end: a real gateway (simulator mode) and a real receiver (tests/webhooks/
// receiver.mjs, which verifies every delivery with npm `standardwebhooks`). Each test states the behaviour a
// receiving system relies on; none waits by sleeping: it polls with a deadline.
#include <gtest/gtest.h>
#include <signal.h>

#include "../integration/gateway_fixture.hpp"
#include "receiver.hpp"
#include "service/sealed.hpp"
#include "storage/store.hpp"

namespace haven::testing {
namespace {

using namespace std::chrono_literals;

class Webhooks : public GatewayTest {
  protected:
    void SetUp() override {}  // each test starts its gateway with its own settings

    void Start(
        bool allow_private, const std::function<void(app::Config&)>& more = [](app::Config&) {}) {
        StartGateway([&](app::Config& c) {
            c.webhooks_allow_private = allow_private;
            c.master_key = service::SecretBox::NewKeyHex();
            c.outbox.interval = 100ms;
            c.outbox.retry_base = 100ms;
            more(c);
        });
        receiver_ = std::make_unique<Receiver>(dir_);
        ASSERT_TRUE(receiver_->Started()) << "the webhook receiver did not start (npm ci in tests/webhooks?):\n"
                                          << receiver_->Log();
        admin_ = Login("admin@a.test");
    }

    json Control(const json& body) {
        auto r = Call("POST", receiver_->Base() + "/control", body.dump());
        EXPECT_EQ(r.status, 200);
        return r.body;
    }
    json Received() { return Call("GET", receiver_->Base() + "/received", "").body; }

    /// Creates an endpoint; the receiver verifies with its secret from then on.
    json CreateEndpoint(const std::string& url, const json& types = json::array({"payment.succeeded"})) {
        auto r = Api("POST", "/api/v1/webhooks/endpoints", {{"url", url}, {"eventTypes", types}}, admin_);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        Control({{"secret", r.body["data"].value("secret", "")}});
        return r.body["data"];
    }

    /// A push of `amount` paid through the simulator; returns the transaction id.
    int64_t Pay(int64_t amount) {
        auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount), admin_);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        const std::string checkout = r.body["data"].value("checkoutRequestId", "");
        json final = WaitFinal(admin_, checkout);
        EXPECT_EQ(final.value("status", ""), "SUCCESS") << final.dump();
        return final.value("id", int64_t{0});
    }

    json Messages(int64_t endpoint_id) {
        return Api("GET", "/api/v1/webhooks/endpoints/" + std::to_string(endpoint_id) + "/messages", nullptr, admin_)
            .body["data"];
    }

    std::unique_ptr<Receiver> receiver_;
    std::string admin_;
};

TEST_F(Webhooks, APaymentArrivesSignedAndVerifiesWithStandardWebhooks) {
    Start(true);
    auto endpoint = CreateEndpoint(receiver_->Url());
    ASSERT_TRUE(endpoint.value("secret", "").starts_with("whsec_"));
    const int64_t tx = Pay(1200);
    ASSERT_TRUE(Eventually([&] { return Received().size() >= 1; }, 15s)) << receiver_->Log();
    json got = Received()[0];
    EXPECT_TRUE(got.value("verified", false)) << got.dump();
    EXPECT_TRUE(got["error"].is_null()) << got.dump();
    json body = json::parse(got.value("body", ""));
    EXPECT_EQ(body.value("type", ""), "payment.succeeded");
    EXPECT_EQ(body["data"].value("id", int64_t{0}), tx);
    EXPECT_EQ(body["data"].value("status", ""), "SUCCESS");
    EXPECT_TRUE(got.value("id", "").starts_with("evt_")) << got.dump();
    // The transaction shows the notification, delivered.
    ASSERT_TRUE(Eventually([&] {
        auto d = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(tx), nullptr, admin_).body["data"];
        return d["notifications"].size() == 1 && d["notifications"][0].value("status", "") == "DELIVERED";
    }));
    // The list never shows the secret.
    auto list = Api("GET", "/api/v1/webhooks/endpoints", nullptr, admin_);
    ASSERT_EQ(list.status, 200);
    EXPECT_FALSE(list.body["data"][0].contains("secret"));
}

TEST_F(Webhooks, AReceiverThatFailsThreeTimesGetsItOnceMore) {
    Start(true);
    auto endpoint = CreateEndpoint(receiver_->Url());
    Control({{"failFirst", 3}});
    Pay(1300);
    const int64_t id = endpoint.value("id", int64_t{0});
    ASSERT_TRUE(Eventually(
        [&] {
            auto m = Messages(id);
            return m.size() == 1 && m[0].value("status", "") == "DELIVERED";
        },
        30s))
        << Messages(id).dump();
    json got = Received();
    ASSERT_EQ(got.size(), 4u) << got.dump();  // 3 refused, then the one that counts
    int delivered = 0;
    for (const auto& g : got) {
        EXPECT_TRUE(g.value("verified", false));
        EXPECT_EQ(g.value("id", ""), got[0].value("id", ""));  // the same webhook-id on every retry
        if (g.value("answered", 0) < 300) ++delivered;
    }
    EXPECT_EQ(delivered, 1);
    auto message =
        Api("GET", "/api/v1/webhooks/messages/" + std::to_string(Messages(id)[0].value("id", 0)), nullptr, admin_);
    ASSERT_EQ(message.status, 200);
    ASSERT_EQ(message.body["data"]["attempts"].size(), 4u);
    EXPECT_EQ(message.body["data"]["attempts"][0].value("statusCode", 0), 500);
    EXPECT_EQ(message.body["data"]["attempts"][0].value("responseExcerpt", ""), "receiver refused this delivery");
    EXPECT_TRUE(message.body["data"]["attempts"][3].value("ok", false));
}

TEST_F(Webhooks, AChangeThatRollsBackSendsNothing) {
    Start(true);
    CreateEndpoint(receiver_->Url());
    // A push settled inside a unit of work that then fails: the payment and its event roll back together.
    auto& store = gateway_->store();
    auto agency = store.FindOrCreateAgency("Agency A");
    ASSERT_TRUE(agency);
    core::StkTransaction t;
    t.agency_id = agency->id;
    t.phone_number = "254708374149";
    t.amount = 1400;
    t.account_reference = "A1";
    t.transaction_desc = "Rent";
    auto inserted = store.InsertStk(t, std::nullopt);
    ASSERT_TRUE(inserted);
    ASSERT_TRUE(store.SetStkDarajaIds(inserted->id, "MR-RB", "ws_CO_ROLLBACK"));
    auto unit = store.Atomically([&](storage::Store& s) -> core::Result<void> {
        storage::StkOutcome o;
        o.status = core::TxStatus::kSuccess;
        o.mpesa_receipt_number = "RBK0000001";
        o.paid_amount = 1400;
        if (auto applied = s.ApplyStkOutcome("ws_CO_ROLLBACK", o); !applied) return core::Fail(applied.error());
        return core::Fail(core::ErrorCode::kInternal, "the unit fails after the change");
    });
    ASSERT_FALSE(unit);
    // A real payment afterwards: once its webhook is in, anything sent for the rolled-back one would be too.
    const int64_t paid = Pay(1500);
    ASSERT_TRUE(Eventually([&] { return Received().size() >= 1; }, 15s));
    json got = Received();
    ASSERT_EQ(got.size(), 1u) << got.dump();
    EXPECT_EQ(json::parse(got[0].value("body", ""))["data"].value("id", int64_t{0}), paid);
}

TEST_F(Webhooks, APrivateTargetIsRefusedWhenConnectingUnlessAllowed) {
    Start(false);
    // A literal private address is refused when saved ...
    auto literal = Api("POST", "/api/v1/webhooks/endpoints", {{"url", receiver_->Url("127.0.0.1")}}, admin_);
    EXPECT_EQ(literal.status, 422) << literal.body.dump();
    // ... and a name that resolves to one is refused when the connection is made.
    auto endpoint = CreateEndpoint(receiver_->Url("localhost"));
    const int64_t id = endpoint.value("id", int64_t{0});
    Pay(1600);
    ASSERT_TRUE(Eventually(
        [&] {
            auto m = Messages(id);
            return m.size() == 1 && m[0].value("attempts", 0) >= 1;
        },
        15s))
        << Messages(id).dump();
    auto message =
        Api("GET", "/api/v1/webhooks/messages/" + std::to_string(Messages(id)[0].value("id", 0)), nullptr, admin_);
    const std::string error = message.body["data"]["attempts"][0].value("error", "");
    EXPECT_NE(error.find("refused to connect"), std::string::npos) << error;
    EXPECT_NE(error.find("loopback"), std::string::npos) << error;
    EXPECT_TRUE(Received().empty());
}

TEST_F(Webhooks, AnEndpointThatKeepsFailingIsDisabledWithAReviewItem) {
    Start(true, [](app::Config& c) {
        c.outbox.disable_after_failures = 3;
        c.outbox.disable_after = 0s;
    });
    auto endpoint = CreateEndpoint(receiver_->Url());
    Control({{"status", 503}});
    Pay(1700);
    const int64_t id = endpoint.value("id", int64_t{0});
    json disabled;
    ASSERT_TRUE(Eventually(
        [&] {
            auto list = Api("GET", "/api/v1/webhooks/endpoints", nullptr, admin_).body["data"];
            if (list.empty() || list[0].value("enabled", true)) return false;
            disabled = list[0];
            return true;
        },
        30s));
    EXPECT_EQ(disabled.value("id", int64_t{0}), id);
    EXPECT_TRUE(disabled["disabledReason"].is_string()) << disabled.dump();
    EXPECT_GE(disabled.value("consecutiveFailures", 0), 3);
    auto review = Api("GET", "/api/v1/review?status=open", nullptr, admin_);
    ASSERT_EQ(review.status, 200) << review.body.dump();
    bool found = false;
    for (const auto& item : review.body["data"]["items"]) {
        if (item.value("reasonCode", "") == "webhook_endpoint_disabled") found = true;
    }
    EXPECT_TRUE(found) << review.body.dump();
    // Enabling it again clears the failures.
    auto enabled = Api("PATCH", "/api/v1/webhooks/endpoints/" + std::to_string(id), {{"enabled", true}}, admin_);
    ASSERT_EQ(enabled.status, 200) << enabled.body.dump();
    EXPECT_EQ(enabled.body["data"].value("consecutiveFailures", -1), 0);
    EXPECT_TRUE(enabled.body["data"]["disabledReason"].is_null());
}

}  // namespace
}  // namespace haven::testing
