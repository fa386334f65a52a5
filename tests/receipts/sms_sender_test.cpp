// The SMS sender against the simulator's Africa's Talking endpoint over loopback: the SMS arrives and
// GET /sim/v1/sms shows it; a wrong API key or username is a configuration error (not retried); the simulator answers
// a missing field with 400 and a wrong key with 401 plain text, as Africa's Talking does.
#include "service/sms_sender.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "sim/simulator.hpp"

namespace haven::service {
namespace {

using nlohmann::json;

constexpr const char* kKey = "atsk_test_key_1234";

class SmsSenderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        sim::SimulatorOptions options;
        options.access_log = false;
        options.at_username = "havenco";
        options.at_api_key = kKey;
        sim_ = std::make_unique<sim::Simulator>(runtime_, options);
        sim_->Start();
        http_ = std::make_unique<net::HttpClient>(runtime_);
    }
    void TearDown() override {
        sim_->Stop();
        http_.reset();
        runtime_.Stop();
    }

    SmsSender Sender(const std::string& username, const std::string& key) {
        SmsSettings settings{.username = username, .api_key = key, .sender_id = "SUNRISE", .base_url = sim_->BaseUrl()};
        return SmsSender(settings, [http = http_.get()](const SmsHttpRequest& req) -> core::Result<SmsHttpResponse> {
            net::ClientRequest out;
            out.method = "POST";
            out.url = req.url;
            for (const auto& [name, value] : req.headers) out.headers[name] = value;
            out.body = req.body;
            out.timeout = req.timeout;
            auto res = http->Send(out);
            if (!res) return core::Fail(res.error());
            return SmsHttpResponse{res->status, res->body};
        });
    }

    static storage::OutboxMessage Sms(const std::string& text) {
        storage::OutboxMessage m;
        m.channel = "sms";
        m.recipient = "254708374149";
        m.payload = json{{"to", "+254708374149"}, {"message", text}}.dump();
        return m;
    }

    net::ClientResponse Get(const std::string& path) {
        auto res = http_->Send({.method = "GET", .url = sim_->BaseUrl() + path});
        EXPECT_TRUE(res) << res.error().message;
        return res ? *res : net::ClientResponse{};
    }

    net::ClientResponse PostForm(const std::string& body, const std::string& key) {
        net::ClientRequest req{.method = "POST", .url = sim_->BaseUrl() + "/version1/messaging"};
        req.headers["Content-Type"] = "application/x-www-form-urlencoded";
        req.headers["Accept"] = "application/json";
        if (!key.empty()) req.headers["apiKey"] = key;
        req.body = body;
        auto res = http_->Send(req);
        EXPECT_TRUE(res) << res.error().message;
        return res ? *res : net::ClientResponse{};
    }

    net::Runtime runtime_{2};
    std::unique_ptr<sim::Simulator> sim_;
    std::unique_ptr<net::HttpClient> http_;
};

TEST_F(SmsSenderTest, SmsReachesTheSimulatorAndItsInboxShowsIt) {
    const std::string text = "TL4H2K9QXZ confirmed. KES 25,000 received for B-12 on 2 Dec 2026 00:30. & more";
    auto result = Sender("havenco", kKey).Deliver(Sms(text));
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.status_code, 201);
    EXPECT_EQ(result.response_excerpt.find("254708374149"), std::string::npos)
        << "the recorded answer masks the number: " << result.response_excerpt;

    auto inbox = Get("/sim/v1/sms?phone=254708374149");
    ASSERT_EQ(inbox.status, 200);
    const json messages = json::parse(inbox.body)["messages"];
    ASSERT_EQ(messages.size(), 1u) << inbox.body;
    EXPECT_EQ(messages[0]["message"], text);
    EXPECT_EQ(messages[0]["from"], "SUNRISE");
    EXPECT_EQ(messages[0]["phoneNumber"], "254708374149");
    EXPECT_TRUE(json::parse(Get("/sim/v1/sms?phone=254711000000").body)["messages"].empty());
}

TEST_F(SmsSenderTest, WrongKeyOrUsernameIsNotRetried) {
    auto wrong_key = Sender("havenco", "not-the-key").Deliver(Sms("hello"));
    EXPECT_FALSE(wrong_key.ok);
    EXPECT_FALSE(wrong_key.retry);
    EXPECT_EQ(wrong_key.status_code, 401);
    EXPECT_EQ(wrong_key.error.find("not-the-key"), std::string::npos);

    auto wrong_user = Sender("someone-else", kKey).Deliver(Sms("hello"));
    EXPECT_FALSE(wrong_user.ok);
    EXPECT_FALSE(wrong_user.retry);
    EXPECT_EQ(wrong_user.status_code, 401);
    EXPECT_TRUE(json::parse(Get("/sim/v1/sms").body)["messages"].empty());
}

TEST_F(SmsSenderTest, SimulatorAnswersLikeAfricasTalking) {
    auto no_key = PostForm("username=havenco&to=%2B254708374149&message=hi", "");
    EXPECT_EQ(no_key.status, 401);
    EXPECT_EQ(no_key.body, "The supplied authentication is invalid");
    auto missing = PostForm("username=havenco&message=hi", kKey);
    EXPECT_EQ(missing.status, 400);
    EXPECT_NE(missing.body.find("to"), std::string::npos);

    auto two = PostForm("username=havenco&to=%2B254708374149,%2B12025550100&message=Habari+yako", kKey);
    ASSERT_EQ(two.status, 201);
    const json data = json::parse(two.body)["SMSMessageData"];
    EXPECT_EQ(data["Message"], "Sent to 1/2 Total Cost: KES 0.8000");
    ASSERT_EQ(data["Recipients"].size(), 2u);
    EXPECT_EQ(data["Recipients"][0]["statusCode"], 101);
    EXPECT_EQ(data["Recipients"][0]["number"], "+254708374149");
    EXPECT_EQ(data["Recipients"][1]["statusCode"], 403);
    EXPECT_EQ(json::parse(Get("/sim/v1/sms").body)["messages"][0]["message"], "Habari yako");
}

TEST_F(SmsSenderTest, InvalidRecipientIsNotRetriedAndNoAnswerIs) {
    storage::OutboxMessage m;
    m.payload = json{{"to", "+12025550100"}, {"message", "hi"}}.dump();
    auto invalid = Sender("havenco", kKey).Deliver(m);
    EXPECT_FALSE(invalid.ok);
    EXPECT_FALSE(invalid.retry);

    SmsSender nowhere({.username = "havenco", .api_key = kKey, .base_url = "http://127.0.0.1:9"},
                      [](const SmsHttpRequest&) -> core::Result<SmsHttpResponse> {
                          return core::Fail(core::ErrorCode::kUpstreamUnavailable, "connection refused");
                      });
    auto down = nowhere.Deliver(Sms("hi"));
    EXPECT_FALSE(down.ok);
    EXPECT_TRUE(down.retry);
}

}  // namespace
}  // namespace haven::service
