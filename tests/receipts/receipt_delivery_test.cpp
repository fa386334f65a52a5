// Receipts end to end: a real gateway (simulator mode) whose outbox delivers a lease's receipt to a real SMTP server
// on loopback (tests/support/smtp_sink.py) and, as an SMS, to the built-in simulator's Africa's Talking endpoint.
// The payment itself never waits for either; both show on the transaction's notifications.
#include <gtest/gtest.h>

#include "../integration/gateway_fixture.hpp"
#include "receipts/smtp_sink.hpp"

namespace haven::testing {
namespace {

using namespace std::chrono_literals;

class ReceiptDelivery : public GatewayTest {
  protected:
    void SetUp() override {}  // the gateway starts once the SMTP sink is listening
};

TEST_F(ReceiptDelivery, APaidLeaseGetsItsReceiptByEmailAndSmsThroughTheOutbox) {
    service::SmtpSink sink("127.0.0.1");
    ASSERT_GT(sink.port(), 0) << sink.Log();
    StartGateway([&](app::Config& c) {
        c.receipts.smtp_url = sink.Url();
        c.receipts.smtp_from = "Sunrise Receipts <receipts@a.test>";
        c.outbox.interval = 100ms;
        c.outbox.retry_base = 100ms;
    });
    const std::string admin = Login("admin@a.test");
    auto lease = Api("POST", "/api/v1/leases",
                     {{"tenantName", "Wanjiku Kamau"},
                      {"phoneNumber", "0708374149"},
                      {"email", "wanjiku@example.com"},
                      {"unit", "B4"},
                      {"monthlyRent", 15000},
                      {"accountReference", "B4"}},
                     admin);
    ASSERT_EQ(lease.status, 201) << lease.body.dump();
    const int64_t lease_id = lease.body["data"].value("id", int64_t{0});

    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1500, lease_id), admin);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    json paid = WaitFinal(admin, push.body["data"].value("checkoutRequestId", ""));
    ASSERT_EQ(paid.value("status", ""), "SUCCESS") << paid.dump();
    const std::string receipt = paid.value("mpesaReceiptNumber", "");
    ASSERT_FALSE(receipt.empty()) << paid.dump();

    // The email reaches the SMTP server, addressed to the tenant, naming the receipt, the amount and the unit.
    ASSERT_TRUE(service::WaitUntil([&] { return sink.Messages().size() == 1; }, 20s)) << sink.Log();
    const std::string mail = service::ReadFile(sink.Messages().front());
    EXPECT_NE(mail.find("To: wanjiku@example.com"), std::string::npos) << mail;
    EXPECT_NE(mail.find("receipts@a.test"), std::string::npos) << mail;
    EXPECT_NE(mail.find(receipt), std::string::npos) << mail;
    EXPECT_NE(mail.find("1,500"), std::string::npos) << mail;
    EXPECT_NE(mail.find("multipart/alternative"), std::string::npos) << mail;

    // The SMS reaches the simulator's Africa's Talking endpoint for the tenant's number.
    json sms;
    ASSERT_TRUE(Eventually([&] {
        sms = Sim("GET", "/sim/v1/sms?phone=254708374149").body["messages"];
        return sms.is_array() && sms.size() == 1;
    })) << sms.dump();
    EXPECT_NE(sms[0].dump().find(receipt), std::string::npos) << sms.dump();

    // Both are on the transaction, delivered; the lease's number and address are masked there.
    const std::string detail = "/api/v1/mpesa/transactions/" + std::to_string(paid.value("id", int64_t{0}));
    json notifications;
    ASSERT_TRUE(Eventually([&] {
        notifications = Api("GET", detail, nullptr, admin).body["data"]["notifications"];
        int delivered = 0;
        for (const auto& n : notifications) delivered += n.value("status", "") == "DELIVERED" ? 1 : 0;
        return delivered == 2;
    })) << notifications.dump();
    for (const auto& n : notifications) {
        EXPECT_EQ(n.dump().find("wanjiku@example.com"), std::string::npos) << n.dump();
        EXPECT_EQ(n.dump().find("254708374149"), std::string::npos) << n.dump();
    }
}

}  // namespace
}  // namespace haven::testing
