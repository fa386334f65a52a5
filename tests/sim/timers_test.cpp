// The simulator's delays are timers, not sleeping threads: a slowMs rule, callback delays and callback retries
// hold no worker, so a simulator on two worker threads keeps hundreds of slow answers pending at once, and
// stopping it with timers pending answers what it holds and ends cleanly.
#include <atomic>
#include <memory>
#include <set>

#include "harness.hpp"

namespace haven::sim::test {
namespace {

constexpr const char* kPush = "/mpesa/stkpush/v1/processrequest";

/// What a batch of concurrent requests got back.
struct Answers {
    std::mutex mu;
    std::vector<core::Result<net::ClientResponse>> results;
    std::chrono::steady_clock::time_point first_answer{};

    size_t Count() {
        std::lock_guard lock(mu);
        return results.size();
    }
};

/// A simulator served by a runtime with only two worker threads; the client and the callback receiver run on
/// their own runtime, so only the simulator's threads are scarce.
class TwoThreadSim : public ::testing::Test {
  protected:
    void SetUp() override {
        sim_runtime_.Start();
        peer_runtime_.Start();
        receiver_ = std::make_unique<Receiver>(peer_runtime_);
        client_ = std::make_unique<net::HttpClient>(peer_runtime_);
    }
    void TearDown() override {
        if (sim_) sim_->Stop();
        sim_.reset();
        sim_runtime_.Stop();
        receiver_.reset();
        client_.reset();
        peer_runtime_.Stop();
    }

    void StartSim(SimulatorOptions options) {
        options.access_log = false;
        options.seed = 7;
        sim_ = std::make_unique<Simulator>(sim_runtime_, std::move(options));
        sim_->Start();
    }

    net::ClientRequest Request(const std::string& method, const std::string& path, const Json& body = nullptr) {
        net::ClientRequest req;
        req.method = method;
        req.url = sim_->BaseUrl() + path;
        req.headers["Content-Type"] = "application/json";
        if (!token_.empty()) req.headers["Authorization"] = "Bearer " + token_;
        if (!body.is_null()) req.body = body.dump();
        req.timeout = std::chrono::seconds(60);
        return req;
    }

    Json Call(const std::string& method, const std::string& path, const Json& body = nullptr, int expect = 200) {
        auto res = client_->Send(Request(method, path, body));
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return nullptr;
        EXPECT_EQ(res->status, expect) << res->body;
        return Json::parse(res->body, nullptr, false);
    }

    void GetToken() {
        net::ClientRequest req;
        req.url = sim_->BaseUrl() + "/oauth/v1/generate?grant_type=client_credentials";
        req.headers["Authorization"] = "Basic " + Base64Encode("key:secret");
        auto res = client_->Send(req);
        ASSERT_TRUE(res.has_value());
        token_ = Json::parse(res->body, nullptr, false).value("access_token", "");
        ASSERT_FALSE(token_.empty());
    }

    void SetRules(const Json& rules) { Call("POST", "/sim/v1/rules", {{"rules", rules}, {"replace", true}}); }

    /// An STK push from its own customer (a customer with a push in progress is refused, §12.3).
    Json StkRequest(int customer) {
        Json body = Fixture("stkpush.request.json");
        std::string ts = FormatEat(Clock::now(), "%Y%m%d%H%M%S");
        int64_t phone = 254708300000 + customer;
        body["Timestamp"] = ts;
        body["Password"] = Base64Encode("174379" + SimulatorOptions{}.passkey + ts);
        body["Amount"] = 1;
        body["PartyA"] = phone;
        body["PhoneNumber"] = phone;
        body["CallBackURL"] = receiver_->Url("/stk");
        return body;
    }

    /// Sends n pushes at once without waiting (SendAsync); answers land in `answers`.
    std::shared_ptr<Answers> PushConcurrently(int n) {
        auto answers = std::make_shared<Answers>();
        for (int i = 0; i < n; ++i) {
            client_->SendAsync(Request("POST", kPush, StkRequest(i)), [answers](core::Result<net::ClientResponse> r) {
                std::lock_guard lock(answers->mu);
                if (answers->results.empty()) answers->first_answer = std::chrono::steady_clock::now();
                answers->results.push_back(std::move(r));
            });
        }
        return answers;
    }

    int64_t RuleHits() {
        Json rules = Call("GET", "/sim/v1/rules");
        if (!rules.is_object() || !rules.contains("rules") || rules["rules"].empty()) return 0;
        return rules["rules"][0].value("hits", 0);
    }

    net::Runtime sim_runtime_{2};
    net::Runtime peer_runtime_{4};
    std::unique_ptr<Receiver> receiver_;
    std::unique_ptr<net::HttpClient> client_;
    std::unique_ptr<Simulator> sim_;
    std::string token_;
};

TEST_F(TwoThreadSim, TwoHundredSlowPushesAreAllAnsweredWithoutAThreadEach) {
    SimulatorOptions options;
    options.callback_delay = std::chrono::milliseconds(30);
    StartSim(options);
    GetToken();
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"slowMs", 500}}}}}));

    constexpr int kRequests = 200;
    auto start = std::chrono::steady_clock::now();
    auto answers = PushConcurrently(kRequests);
    // A sleeping thread per request on 2 threads would need 200 * 0.5 s / 2 = 50 s.
    ASSERT_TRUE(WaitUntil([&] { return answers->Count() == kRequests; }, std::chrono::seconds(10)))
        << answers->Count() << " of " << kRequests << " answered within 10 s";
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::cout << "[ measured ] " << kRequests << " pushes with slowMs 500 on 2 worker threads answered in "
              << elapsed.count() << " ms\n";

    std::lock_guard lock(answers->mu);
    // slowMs still holds each answer back: none came before the delay.
    EXPECT_GE(answers->first_answer - start, std::chrono::milliseconds(500));
    std::set<std::string> checkout_ids;
    for (const auto& r : answers->results) {
        ASSERT_TRUE(r.has_value()) << r.error().message;
        ASSERT_EQ(r->status, 200) << r->body;
        Json ack = Json::parse(r->body, nullptr, false);
        EXPECT_EQ(ack["ResponseCode"], "0") << r->body;
        checkout_ids.insert(ack.value("CheckoutRequestID", ""));
    }
    EXPECT_EQ(checkout_ids.size(), static_cast<size_t>(kRequests));
    // Each push still ends with its callback.
    EXPECT_EQ(receiver_->WaitFor("/stk", kRequests).size(), static_cast<size_t>(kRequests));
}

TEST_F(TwoThreadSim, DelayedCallbackArrivesAfterItsDelay) {
    SimulatorOptions options;
    options.callback_delay = std::chrono::milliseconds(30);
    StartSim(options);
    GetToken();
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"delayMs", 800}}}}}));

    auto start = std::chrono::steady_clock::now();
    Json ack = Call("POST", kPush, StkRequest(1));
    ASSERT_EQ(ack["ResponseCode"], "0");
    auto answered = std::chrono::steady_clock::now();
    auto callbacks = receiver_->WaitFor("/stk", 1);
    auto arrived = std::chrono::steady_clock::now();
    ASSERT_EQ(callbacks.size(), 1u);
    EXPECT_EQ(callbacks[0]["Body"]["stkCallback"]["CheckoutRequestID"], ack["CheckoutRequestID"]);
    EXPECT_EQ(callbacks[0]["Body"]["stkCallback"]["ResultCode"], 0);
    EXPECT_GE(arrived - start, std::chrono::milliseconds(800));
    EXPECT_LT(answered - start, std::chrono::milliseconds(800)) << "the ack waited for the callback delay";
}

TEST_F(TwoThreadSim, FailedCallbackIsRetriedAfterTheRetryDelay) {
    SimulatorOptions options;
    options.callback_delay = std::chrono::milliseconds(30);
    options.callback_retries = 2;
    options.callback_retry_delay = std::chrono::milliseconds(300);
    StartSim(options);
    GetToken();
    receiver_->status = 500;

    auto start = std::chrono::steady_clock::now();
    Call("POST", kPush, StkRequest(1));
    ASSERT_TRUE(WaitUntil([&] { return receiver_->Count("/stk") == 3; })) << receiver_->Count("/stk");
    // Three attempts, the two retries each at least the retry delay after the attempt before.
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
    ASSERT_TRUE(WaitUntil([&] { return Call("GET", "/sim/v1/callbacks")["callbacks"].size() == 3; }));
    Json log = Call("GET", "/sim/v1/callbacks");
    std::set<int> attempts;
    for (const auto& entry : log["callbacks"]) attempts.insert(entry.value("attempt", 0));
    EXPECT_EQ(attempts, (std::set<int>{1, 2, 3}));
}

TEST_F(TwoThreadSim, StopWithPendingTimersAnswersWhatItHoldsAndEndsCleanly) {
    SimulatorOptions options;
    options.callback_delay = std::chrono::milliseconds(400);
    StartSim(options);
    GetToken();
    // A push whose callback is still scheduled when we stop.
    Call("POST", kPush, StkRequest(100));
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"slowMs", 30000}}}}}));
    constexpr int kSlow = 20;
    auto answers = PushConcurrently(kSlow);
    ASSERT_TRUE(WaitUntil([&] { return RuleHits() == kSlow; })) << RuleHits();

    auto stop_started = std::chrono::steady_clock::now();
    sim_->Stop();
    // Without answering them, Stop would wait for the 30 s timers (or give up on its 5 s drain).
    EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(4));
    ASSERT_TRUE(WaitUntil([&] { return answers->Count() == kSlow; }, std::chrono::seconds(5))) << answers->Count();
    {
        std::lock_guard lock(answers->mu);
        for (const auto& r : answers->results) {
            ASSERT_TRUE(r.has_value()) << r.error().message;
            EXPECT_EQ(r->status, 503) << r->body;
        }
    }
    // The stopped simulator sends no callback when the pending one's delay passes.
    EXPECT_FALSE(WaitUntil([&] { return receiver_->Count("/stk") > 0; }, std::chrono::milliseconds(800)));
    // The slow timers are still pending in the runtime when the simulator goes away and the runtime stops.
    sim_.reset();
    sim_runtime_.Stop();
}

}  // namespace
}  // namespace haven::sim::test
