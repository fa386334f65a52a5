// A kill -9 between the commit of a payment and the delivery of its webhook: the event was written in the
// payment's own transaction, so the restarted gateway still delivers it. Runs the real binary (sandbox mode; the
// test plays Daraja's callback) with the outbox idle (a pass an hour away), kills it once the callback is
// acknowledged, and restarts it with the outbox running.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "receiver.hpp"
#include "service/sealed.hpp"
#include "service/webhook_signing.hpp"
#include "storage/store.hpp"

namespace haven::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
constexpr const char* kSecret = "webhook-crash-callback-secret-0123456789";

class WebhookCrash : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        port_ = crash::FreeLoopbackPort();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
        db_path_ = dir_.path() / "haven.db";
    }
    void TearDown() override {
        client_.reset();
        runtime_.Stop();
    }

    std::vector<std::string> Env(const std::string& outbox_interval_ms) const {
        return {"PATH=/usr/local/bin:/usr/bin:/bin",
                "MPESA_ENVIRONMENT=sandbox",
                "MPESA_BASE_URL=http://127.0.0.1:9",  // never called: the test plays Daraja's callback
                "MPESA_CONSUMER_KEY=crash-key",
                "MPESA_CONSUMER_SECRET=crash-secret",
                "MPESA_SHORTCODE=174379",
                "MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
                "MPESA_CALLBACK_URL=" + url_ + "/api/v1/mpesa/callback",
                std::string("MPESA_CALLBACK_SECRET=") + kSecret,
                "JWT_SECRET=webhook-crash-test-jwt-secret-0123456789abcdef",
                "MASTER_KEY=" + master_key_,
                "DATABASE_URL=sqlite:" + db_path_.string(),
                "HOST=127.0.0.1",
                "PORT=" + std::to_string(port_),
                "RATE_LIMIT_PER_SECOND=0",
                "RECONCILE_INTERVAL_SECONDS=3600",
                "RECONCILE_AFTER_SECONDS=3600",
                "WEBHOOKS_ALLOW_PRIVATE=true",
                "OUTBOX_INTERVAL_MS=" + outbox_interval_ms};
    }

    std::unique_ptr<crash::ChildProcess> StartGateway(const std::string& outbox_interval_ms, const std::string& log) {
        auto gw = std::make_unique<crash::ChildProcess>(std::vector<std::string>{HAVEN_BIN, "serve"},
                                                        Env(outbox_interval_ms), dir_.path(), dir_.path() / log);
        const auto until = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < until && gw->Running()) {
            if (Send("GET", url_ + "/api/v1/health", "").status == 200) return gw;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "the gateway did not start\n" << crash::Tail(dir_.path() / log, 30);
        return nullptr;
    }

    struct Answer {
        int status = 0;
        std::string body;
    };
    Answer Send(const std::string& method, const std::string& url, const std::string& body) {
        net::ClientRequest req;
        req.method = method;
        req.url = url;
        req.timeout = 5s;
        req.body = body;
        if (!body.empty()) req.headers["Content-Type"] = "application/json";
        auto res = client_->Send(req);
        if (!res) return {};
        return {res->status, res->body};
    }

    crash::TempDir dir_;
    net::Runtime runtime_{2};
    std::unique_ptr<net::HttpClient> client_ = std::make_unique<net::HttpClient>(runtime_);
    int port_ = 0;
    std::string url_;
    std::filesystem::path db_path_;
    std::string master_key_ = service::SecretBox::NewKeyHex();
};

TEST_F(WebhookCrash, AKillBetweenCommitAndDeliveryStillDelivers) {
    Receiver receiver(dir_.path());
    ASSERT_TRUE(receiver.Started()) << "the webhook receiver did not start (npm ci in tests/webhooks?):\n"
                                    << receiver.Log();
    const std::string secret = service::NewWebhookSecret();
    {
        // A push Daraja accepted and an endpoint subscribed to payments, written before the gateway starts.
        auto store = storage::MakeStore("sqlite:" + db_path_.string(), {.group_commit = false});
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE((*store)->Migrate());
        auto agency = (*store)->FindOrCreateAgency("Crash Agency");
        ASSERT_TRUE(agency);
        core::StkTransaction t;
        t.agency_id = agency->id;
        t.phone_number = "254708374149";
        t.amount = 1500;
        t.account_reference = "C1";
        t.transaction_desc = "Rent";
        auto tx = (*store)->InsertStk(t, std::nullopt);
        ASSERT_TRUE(tx);
        ASSERT_TRUE((*store)->SetStkDarajaIds(tx->id, "MR-CRASH", "ws_CO_CRASH"));
        auto box = service::SecretBox::FromHex(master_key_);
        ASSERT_TRUE(box);
        storage::WebhookEndpoint e;
        e.agency_id = agency->id;
        e.url = receiver.Url();
        e.event_types = {"payment.succeeded"};
        e.secret_sealed = box->Seal(secret);
        ASSERT_TRUE((*store)->InsertWebhookEndpoint(e));
    }
    ASSERT_EQ(Send("POST", receiver.Base() + "/control", json{{"secret", secret}}.dump()).status, 200);

    auto idle = StartGateway("3600000", "gateway-1.log");  // its first outbox pass is an hour away
    ASSERT_TRUE(idle);
    const json callback = {{"Body",
                            {{"stkCallback",
                              {{"MerchantRequestID", "MR-CRASH"},
                               {"CheckoutRequestID", "ws_CO_CRASH"},
                               {"ResultCode", 0},
                               {"ResultDesc", "The service request is processed successfully."},
                               {"CallbackMetadata",
                                {{"Item",
                                  {{{"Name", "Amount"}, {"Value", 1500}},
                                   {{"Name", "MpesaReceiptNumber"}, {"Value", "TLC0000001"}},
                                   {{"Name", "TransactionDate"}, {"Value", 20261201101500}},
                                   {{"Name", "PhoneNumber"}, {"Value", 254708374149}}}}}}}}}}};
    auto acked = Send("POST", url_ + "/api/v1/mpesa/callback?secret=" + kSecret, callback.dump());
    ASSERT_EQ(acked.status, 200) << acked.body;
    idle->Signal(SIGKILL);
    ASSERT_TRUE(idle->Wait(5s).has_value());
    EXPECT_EQ(Send("GET", receiver.Base() + "/received", "").body, "[]");  // nothing was sent before the kill

    auto running = StartGateway("100", "gateway-2.log");
    ASSERT_TRUE(running);
    json got;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        got = json::parse(Send("GET", receiver.Base() + "/received", "").body, nullptr, false);
        if (got.is_array() && !got.empty()) break;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(got.is_array() && got.size() == 1) << got.dump() << "\n"
                                                   << crash::Tail(dir_.path() / "gateway-2.log", 30);
    EXPECT_TRUE(got[0].value("verified", false)) << got.dump();
    EXPECT_EQ(json::parse(got[0].value("body", "{}")).value("type", ""), "payment.succeeded");
    running->KillAndReap();
}

}  // namespace
}  // namespace haven::testing
