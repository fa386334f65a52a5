// The Daraja client: password, callback parsing (fixtures), token cache, and the HTTP client
// against the simulator over loopback (token retry, pending query, refusals, deadlines).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "daraja/callbacks.hpp"
#include "daraja/http_daraja_client.hpp"
#include "daraja/password.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "sim/simulator.hpp"

namespace haven::daraja {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
    std::ifstream in(std::string(HAVEN_FIXTURES_DIR) + "/daraja/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

constexpr const char* kPasskey = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

TEST(StkPassword, MatchesTheReferenceRequest) {
    auto request = Fixture("stkpush.request.json");
    EXPECT_EQ(StkPassword("174379", kPasskey, request["Timestamp"].get<std::string>()),
              request["Password"].get<std::string>());
    EXPECT_EQ(Base64Decode(StkPassword("174379", kPasskey, "20250614153012")),
              std::string("174379") + kPasskey + "20250614153012");
}

TEST(StkCallbackParser, ReadsTheSuccessFixture) {
    auto cb = ParseStkCallback(Fixture("stkpush.callback.success.json"));
    ASSERT_TRUE(cb.has_value()) << cb.error().message;
    EXPECT_EQ(cb->result_code, 0);
    EXPECT_EQ(cb->checkout_request_id, "ws_CO_14062025153013512708374149");
    EXPECT_EQ(cb->amount, 1);
    EXPECT_EQ(cb->mpesa_receipt_number, "TFE4K7PQ2Z");
    EXPECT_EQ(cb->transaction_date, "20250614153041");
    EXPECT_EQ(cb->phone_number, "254708374149");
}

TEST(StkCallbackParser, ReadsTheDocsVariantWithoutBalanceAndDecimalAmount) {
    auto cb = ParseStkCallback(Fixture("stkpush.callback.success.docs-variant.json"));
    ASSERT_TRUE(cb.has_value());
    EXPECT_EQ(cb->result_code, 0);
    EXPECT_TRUE(cb->amount.has_value());
    EXPECT_FALSE(cb->mpesa_receipt_number.empty());
}

TEST(StkCallbackParser, ReadsEveryFailureFixture) {
    const std::map<std::string, int64_t> expected = {
        {"stkpush.callback.cancelled.json", 1032},       {"stkpush.callback.timeout.json", 1037},
        {"stkpush.callback.insufficient-funds.json", 1}, {"stkpush.callback.wrong-pin.json", 2001},
        {"stkpush.callback.expired.json", 1019},         {"stkpush.callback.subscriber-locked.json", 1001}};
    for (const auto& [file, code] : expected) {
        auto cb = ParseStkCallback(Fixture(file));
        ASSERT_TRUE(cb.has_value()) << file;
        EXPECT_EQ(cb->result_code, code) << file;
        EXPECT_TRUE(cb->mpesa_receipt_number.empty()) << file;
        EXPECT_FALSE(cb->result_desc.empty()) << file;
    }
}

TEST(StkCallbackParser, ToleratesStringCodesAndOneItemObjects) {
    json body = {{"Body",
                  {{"stkCallback",
                    {{"MerchantRequestID", "m"},
                     {"CheckoutRequestID", "ws_CO_1"},
                     {"ResultCode", "1032"},
                     {"ResultDesc", "Request cancelled by user"},
                     {"CallbackMetadata", {{"Item", {{"Name", "Amount"}, {"Value", "1.00"}}}}}}}}}};
    auto cb = ParseStkCallback(body);
    ASSERT_TRUE(cb.has_value()) << cb.error().message;
    EXPECT_EQ(cb->result_code, 1032);
    EXPECT_EQ(cb->amount, 1);
}

// Daraja sends 1, 1.00 or "1.00" depending on the API: all three mean 1; anything else is refused.
TEST(StkCallbackParser, AmountsAreWholePositiveShillings) {
    auto parse = [](const json& amount, const json& code = 0) {
        json items = json::array(
            {{{"Name", "Amount"}, {"Value", amount}}, {{"Name", "MpesaReceiptNumber"}, {"Value", "UKS1ABCDEF"}}});
        return ParseStkCallback(
            {{"Body",
              {{"stkCallback",
                {{"CheckoutRequestID", "ws_CO_1"}, {"ResultCode", code}, {"CallbackMetadata", {{"Item", items}}}}}}}});
    };
    for (const json& one : {json(1), json(1.0), json("1.00"), json("1"), json("1.0")}) {
        auto cb = parse(one);
        ASSERT_TRUE(cb.has_value()) << one.dump();
        EXPECT_EQ(cb->amount, 1) << one.dump();
    }
    for (const json& bad : {json("1e20"), json(1e20), json(-500), json(0), json("1.5"), json(1.5), json(""), json("+1"),
                            json(" 1"), json("1."), json(true), json(nullptr), json::array()}) {
        auto cb = parse(bad);
        ASSERT_FALSE(cb.has_value()) << bad.dump();
        EXPECT_EQ(cb.error().details.front().field, "Amount") << bad.dump();
    }
    for (const json& code : {json("0.4"), json(0.4), json("-1"), json(-1), json("abc"), json(nullptr)}) {
        EXPECT_FALSE(parse(1, code).has_value()) << code.dump();
    }
    EXPECT_EQ(parse(1, "0")->result_code, 0);
}

TEST(StkCallbackParser, ASuccessNeedsItsAmountAndReceipt) {
    auto success = [](const json& items) {
        return ParseStkCallback(
            {{"Body",
              {{"stkCallback",
                {{"CheckoutRequestID", "ws_CO_1"}, {"ResultCode", 0}, {"CallbackMetadata", {{"Item", items}}}}}}}});
    };
    EXPECT_FALSE(success(json::array({{{"Name", "MpesaReceiptNumber"}, {"Value", "UKS1ABCDEF"}}})).has_value());
    EXPECT_FALSE(success(json::array({{{"Name", "Amount"}, {"Value", 1}}})).has_value());
    EXPECT_FALSE(success(json::array({{{"Name", "Amount"}, {"Value", 1}},
                                      {{"Name", "MpesaReceiptNumber"}, {"Value", "UKS1<script>"}}}))
                     .has_value());
    EXPECT_FALSE(
        ParseStkCallback({{"Body", {{"stkCallback", {{"CheckoutRequestID", "x"}, {"ResultCode", 0}}}}}}).has_value());
}

TEST(StkCallbackParser, RejectsWhatIsNotAnStkCallback) {
    EXPECT_FALSE(ParseStkCallback(json::object()).has_value());
    EXPECT_FALSE(ParseStkCallback(json::array()).has_value());
    EXPECT_FALSE(ParseStkCallback({{"Body", {{"stkCallback", {{"ResultCode", 0}}}}}}).has_value());
    EXPECT_FALSE(ParseStkCallback({{"Body", {{"stkCallback", {{"CheckoutRequestID", "x"}}}}}}).has_value());
}

TEST(TokenCache, ConcurrentCallersShareOneRefresh) {
    std::atomic<int> fetches{0};
    auto now = std::chrono::system_clock::now();
    TokenCache cache(
        [&]() -> core::Result<std::pair<std::string, std::chrono::seconds>> {
            ++fetches;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow OAuth answer
            return std::make_pair(std::string("tok-") + std::to_string(fetches.load()), std::chrono::seconds(3599));
        },
        [&] { return now; }, std::chrono::seconds(60));
    std::vector<std::thread> threads;
    std::vector<std::string> seen(16);
    for (int i = 0; i < 16; ++i) threads.emplace_back([&, i] { seen[i] = cache.Get().value_or(""); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(fetches.load(), 1);
    for (const auto& s : seen) EXPECT_EQ(s, "tok-1");
}

TEST(TokenCache, RenewsBeforeExpiryAndAfterInvalidation) {
    int fetches = 0;
    auto now = std::chrono::system_clock::now();
    TokenCache cache(
        [&]() -> core::Result<std::pair<std::string, std::chrono::seconds>> {
            ++fetches;
            return std::make_pair("tok-" + std::to_string(fetches), std::chrono::seconds(3599));
        },
        [&] { return now; }, std::chrono::seconds(60));
    EXPECT_EQ(cache.Get().value(), "tok-1");
    now += std::chrono::seconds(3000);
    EXPECT_EQ(cache.Get().value(), "tok-1");
    now += std::chrono::seconds(540);  // 59 s before expiry: inside the margin
    EXPECT_EQ(cache.Get().value(), "tok-2");
    cache.Invalidate("tok-1");  // stale invalidation leaves the newer token alone
    EXPECT_EQ(cache.Get().value(), "tok-2");
    cache.Invalidate("tok-2");
    EXPECT_EQ(cache.Get().value(), "tok-3");
}

TEST(TokenCache, AsyncCallersDuringOneFetchShareItAndACachedTokenAnswersAtOnce) {
    int fetches = 0;
    std::function<void(TokenCache::Fetched)> pending;  // the fetch in progress, finished by the test
    auto now = std::chrono::system_clock::now();
    TokenCache cache(
        [&]() -> TokenCache::Fetched { return core::Fail(core::ErrorCode::kInternal, "the blocking fetch is unused"); },
        [&] { return now; }, std::chrono::seconds(60),
        [&](std::function<void(TokenCache::Fetched)> done) {
            ++fetches;
            pending = std::move(done);
        });
    std::vector<std::string> seen;
    for (int i = 0; i < 5; ++i) cache.GetAsync([&](core::Result<std::string> t) { seen.push_back(t.value_or("")); });
    EXPECT_EQ(fetches, 1);
    EXPECT_TRUE(seen.empty()) << "no caller is answered before the token comes";
    pending(std::make_pair(std::string("tok-1"), std::chrono::seconds(3599)));
    EXPECT_EQ(seen, std::vector<std::string>(5, "tok-1"));
    cache.GetAsync([&](core::Result<std::string> t) { seen.push_back(t.value_or("")); });
    EXPECT_EQ(seen.size(), 6u);
    EXPECT_EQ(fetches, 1);
    // A failed fetch fails its waiters; the next caller starts a new one.
    cache.Invalidate("tok-1");
    std::optional<core::Error> failed;
    cache.GetAsync([&](core::Result<std::string> t) { failed = t ? std::nullopt : std::optional(t.error()); });
    pending(core::Fail(core::ErrorCode::kUpstreamUnavailable, "OAuth down"));
    ASSERT_TRUE(failed.has_value());
    EXPECT_EQ(failed->code, core::ErrorCode::kUpstreamUnavailable);
    cache.GetAsync([&](core::Result<std::string>) {});
    EXPECT_EQ(fetches, 3);
}

TEST(DarajaErrorMapping, EnvelopeBecomesAClearUpstreamError) {
    net::ClientResponse res{500, {}, Fixture("stkpush.error.merchant-does-not-exist.json").dump()};
    auto e = DarajaError(res);
    EXPECT_EQ(e.code, core::ErrorCode::kUpstream);
    EXPECT_EQ(e.extra["errorCode"], "500.001.1001");
    EXPECT_NE(e.message.find("Merchant does not exist"), std::string::npos);
    auto html = DarajaError(net::ClientResponse{502, {}, "<html>bad gateway</html>"});
    EXPECT_EQ(html.code, core::ErrorCode::kUpstream);
    EXPECT_NE(html.message.find("502"), std::string::npos);
}

class DarajaOverLoopback : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        sim::SimulatorOptions options;
        options.callback_delay = std::chrono::milliseconds(100);
        options.access_log = false;
        sim_ = std::make_unique<sim::Simulator>(runtime_, options);
        sim_->Start();
        http_ = std::make_unique<net::HttpClient>(runtime_);
        DarajaSettings s;
        s.base_url = sim_->BaseUrl();
        s.consumer_key = "key";
        s.consumer_secret = "secret";
        s.shortcode = "174379";
        s.passkey = kPasskey;
        s.timeout = std::chrono::milliseconds(2000);
        client_ = std::make_unique<HttpDarajaClient>(*http_, s, [] { return std::chrono::system_clock::now(); });
    }
    void TearDown() override {
        sim_->Stop();
        runtime_.Stop();
    }
    void Rule(const json& rule) {
        net::ClientRequest req{"POST",
                               sim_->BaseUrl() + "/sim/v1/rules",
                               {{"Content-Type", "application/json"}},
                               json({{"rules", json::array({rule})}}).dump()};
        auto res = http_->Send(req);
        ASSERT_TRUE(res && res->status == 200);
    }
    StkPushRequest Push(int64_t amount) {
        return {"254708374149", amount, "A1", "Rent", "http://127.0.0.1:9/cb?secret=x"};
    }
    net::Runtime runtime_{4};
    std::unique_ptr<sim::Simulator> sim_;
    std::unique_ptr<net::HttpClient> http_;
    std::unique_ptr<HttpDarajaClient> client_;
};

TEST_F(DarajaOverLoopback, PushThenQueryPendingThenFinal) {
    Rule({{"api", "stkpush"}, {"then", {{"resultCode", "1032"}, {"delayMs", 600}}}});
    auto ack = client_->StkPush(Push(10));
    ASSERT_TRUE(ack.has_value()) << ack.error().message;
    EXPECT_EQ(ack->response_code, "0");
    auto pending = client_->StkQuery(ack->checkout_request_id);
    ASSERT_TRUE(pending.has_value()) << pending.error().message;
    EXPECT_TRUE(pending->pending);
    StkQueryAnswer final_answer;
    for (int i = 0; i < 200; ++i) {
        auto q = client_->StkQuery(ack->checkout_request_id);
        ASSERT_TRUE(q.has_value());
        if (!q->pending) {
            final_answer = *q;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(final_answer.result_code, "1032");
    EXPECT_EQ(client_->token_fetches(), 1);
}

TEST_F(DarajaOverLoopback, InvalidatedTokenIsRenewedOnceAndTheCallSucceeds) {
    ASSERT_TRUE(client_->StkPush(Push(11)).has_value());
    Rule({{"api", "stkpush"}, {"then", {{"invalidateToken", true}}}, {"times", 1}});
    auto ack = client_->StkPush({"254700000001", 12, "A1", "Rent", "http://127.0.0.1:9/cb"});
    ASSERT_TRUE(ack.has_value()) << ack.error().message;
    EXPECT_EQ(client_->token_fetches(), 2);
}

/// Runs an asynchronous call and waits (in the test only) for its completion.
template <class T, class Start>
core::Result<T> Await(Start start) {
    std::promise<core::Result<T>> promise;
    start([&promise](core::Result<T> r) { promise.set_value(std::move(r)); });
    auto future = promise.get_future();
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        return core::Fail(core::ErrorCode::kInternal, "the completion never ran");
    }
    return future.get();
}

TEST_F(DarajaOverLoopback, AsyncPushesShareOneTokenFetchAndAnswerOnThePool) {
    constexpr int kPushes = 8;
    std::vector<std::promise<core::Result<StkPushAck>>> answers(kPushes);
    for (int i = 0; i < kPushes; ++i) {
        client_->StkPushAsync({"2547000001" + std::to_string(10 + i), 20 + i, "A1", "Rent", "http://127.0.0.1:9/cb"},
                              [&answers, i](core::Result<StkPushAck> ack) { answers[i].set_value(std::move(ack)); });
    }
    for (auto& answer : answers) {
        auto future = answer.get_future();
        ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        auto ack = future.get();
        ASSERT_TRUE(ack.has_value()) << ack.error().message;
        EXPECT_EQ(ack->response_code, "0");
        EXPECT_FALSE(ack->checkout_request_id.empty());
    }
    EXPECT_EQ(client_->token_fetches(), 1) << "concurrent callers share one OAuth fetch";
    auto query = Await<StkQueryAnswer>([&](auto done) { client_->StkQueryAsync("ws_CO_unknown", done); });
    EXPECT_FALSE(query.has_value());
}

TEST_F(DarajaOverLoopback, AsyncCallRenewsAnInvalidatedTokenOnce) {
    ASSERT_TRUE(client_->StkPush(Push(31)).has_value());
    Rule({{"api", "stkpush"}, {"then", {{"invalidateToken", true}}}, {"times", 1}});
    auto ack = Await<StkPushAck>([&](auto done) {
        client_->StkPushAsync({"254700000002", 32, "A1", "Rent", "http://127.0.0.1:9/cb"}, done);
    });
    ASSERT_TRUE(ack.has_value()) << ack.error().message;
    EXPECT_EQ(client_->token_fetches(), 2);
}

TEST_F(DarajaOverLoopback, AsyncRefusalAndDeadlineAreTheSameErrors) {
    Rule({{"api", "stkpush"},
          {"when", {{"amount", 33}}},
          {"then", {{"httpStatus", 500}, {"errorCode", "500.003.02"}, {"errorMessage", "Spike Arrest Violation"}}}});
    auto refused = Await<StkPushAck>([&](auto done) { client_->StkPushAsync(Push(33), done); });
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, core::ErrorCode::kUpstream);
    EXPECT_EQ(refused.error().extra["errorCode"], "500.003.02");
    Rule({{"api", "stkpush"}, {"when", {{"amount", 34}}}, {"then", {{"slowMs", 5000}}}});
    auto late = Await<StkPushAck>([&](auto done) { client_->StkPushAsync(Push(34), done); });
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code, core::ErrorCode::kUpstreamUnavailable);
}

TEST_F(DarajaOverLoopback, RefusalCarriesDarajasCode) {
    Rule({{"api", "stkpush"},
          {"then",
           {{"httpStatus", 500},
            {"errorCode", "500.003.02"},
            {"errorMessage", "Error Occurred: Spike Arrest Violation"}}}});
    auto ack = client_->StkPush(Push(13));
    ASSERT_FALSE(ack.has_value());
    EXPECT_EQ(ack.error().code, core::ErrorCode::kUpstream);
    EXPECT_EQ(ack.error().extra["errorCode"], "500.003.02");
}

TEST_F(DarajaOverLoopback, RegisterC2bUrlsUsesTheVersionsPathAndDarajasFieldNames) {
    for (int version : {1, 2}) {
        C2bRegisterRequest r{version, "600996", "Completed", "http://127.0.0.1:9/hooks/daraja/ab12/c2b/confirmation",
                             "http://127.0.0.1:9/hooks/daraja/ab12/c2b/validation"};
        auto ack = client_->RegisterC2bUrls(r);
        ASSERT_TRUE(ack.has_value()) << ack.error().message;
        EXPECT_EQ(ack->response_code, "0");
        EXPECT_FALSE(ack->originator_conversation_id.empty());  // read from Daraja's OriginatorCoversationID
        EXPECT_EQ(ack->response_description, version == 1 ? "success" : "Success");
    }
    // The simulator (which refuses a body without any of Daraja's four fields) holds what the last call sent.
    auto held = http_->Send({"GET", sim_->BaseUrl() + "/sim/v1/c2b/registrations", {}, ""});
    ASSERT_TRUE(held);
    const json regs = json::parse(held->body)["registrations"];
    ASSERT_EQ(regs.size(), 1u) << regs.dump();
    EXPECT_EQ(regs[0]["shortcode"], "600996");
    EXPECT_EQ(regs[0]["version"], 2);
    EXPECT_EQ(regs[0]["responseType"], "Completed");
    EXPECT_EQ(regs[0]["confirmationUrl"], "http://127.0.0.1:9/hooks/daraja/ab12/c2b/confirmation");
    EXPECT_EQ(regs[0]["validationUrl"], "http://127.0.0.1:9/hooks/daraja/ab12/c2b/validation");
}

TEST_F(DarajaOverLoopback, RegisterC2bUrlsSurfacesDarajasError) {
    Rule({{"api", "c2bregister"},
          {"then",
           {{"httpStatus", 500}, {"errorCode", "500.003.1001"}, {"errorMessage", "Urls are already registered."}}}});
    auto ack = client_->RegisterC2bUrls({2, "600996", "Completed", "http://127.0.0.1:9/hooks/daraja/ab12/c2b/c",
                                         "http://127.0.0.1:9/hooks/daraja/ab12/c2b/v"});
    ASSERT_FALSE(ack.has_value());
    EXPECT_EQ(ack.error().code, core::ErrorCode::kUpstream);
    EXPECT_EQ(ack.error().extra["errorCode"], "500.003.1001");
    EXPECT_NE(ack.error().message.find("Urls are already registered."), std::string::npos) << ack.error().message;
}

TEST_F(DarajaOverLoopback, SlowAnswerHitsTheDeadline) {
    Rule({{"api", "stkpush"}, {"then", {{"slowMs", 5000}}}});
    auto ack = client_->StkPush(Push(14));
    ASSERT_FALSE(ack.has_value());
    EXPECT_EQ(ack.error().code, core::ErrorCode::kUpstreamUnavailable);
}

TEST_F(DarajaOverLoopback, WrongConsumerSecretIsAClearError) {
    sim_->Stop();
    sim::SimulatorOptions options;
    options.consumer_key = "key";
    options.consumer_secret = "the-real-secret";
    options.access_log = false;
    sim_ = std::make_unique<sim::Simulator>(runtime_, options);
    sim_->Start();
    DarajaSettings s;
    s.base_url = sim_->BaseUrl();
    s.consumer_key = "key";
    s.consumer_secret = "wrong";
    s.shortcode = "174379";
    s.passkey = kPasskey;
    HttpDarajaClient client(*http_, s, [] { return std::chrono::system_clock::now(); });
    auto ack = client.StkPush(Push(15));
    ASSERT_FALSE(ack.has_value());
    EXPECT_EQ(ack.error().extra["errorCode"], "400.008.01");
}

TEST(DarajaOverTls, ClientVerifiesTheSimulatorsCertificate) {
    net::Runtime runtime(4);
    runtime.Start();
    sim::SimulatorOptions options;
    options.tls_self_signed = true;
    options.access_log = false;
    sim::Simulator simulator(runtime, options);
    simulator.Start();
    ASSERT_EQ(simulator.BaseUrl().rfind("https://", 0), 0u);
    DarajaSettings s;
    s.base_url = simulator.BaseUrl();
    s.consumer_key = "key";
    s.consumer_secret = "secret";
    s.shortcode = "174379";
    s.passkey = kPasskey;
    s.timeout = std::chrono::milliseconds(3000);
    auto now = [] { return std::chrono::system_clock::now(); };
    StkPushRequest push{"254708374149", 10, "A1", "Rent", "https://haven.example/api/v1/mpesa/callback"};

    net::HttpClient trusting(runtime, net::TlsOptions{simulator.TlsCertificateFile(), true});
    HttpDarajaClient good(trusting, s, now);
    auto ack = good.StkPush(push);
    ASSERT_TRUE(ack.has_value()) << ack.error().message;
    EXPECT_EQ(ack->response_code, "0");

    // The same server is refused when its certificate is not trusted: no silent downgrade.
    net::HttpClient default_trust(runtime);
    HttpDarajaClient refused(default_trust, s, now);
    auto failed = refused.StkPush(push);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, core::ErrorCode::kUpstreamUnavailable);
    EXPECT_NE(failed.error().message.find("TLS"), std::string::npos) << failed.error().message;
    simulator.Stop();
    runtime.Stop();
}

}  // namespace
}  // namespace haven::daraja
