#pragma once
// Test harness: a simulator on 127.0.0.1:0, a callback receiver (a net::Server), an HttpClient,
// and helpers to build fixture requests with fresh passwords and credentials.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/server.hpp"
#include "sim/credential.hpp"
#include "sim/simulator.hpp"
#include "sim/wire.hpp"

namespace haven::sim::test {

using Json = nlohmann::json;

inline std::string FixturePath(const std::string& name) { return std::string(HAVEN_FIXTURES_DIR) + "/" + name; }

inline std::string ReadText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline Json Fixture(const std::string& name) { return Json::parse(ReadText(FixturePath("daraja/" + name))); }

/// Polls pred every 10 ms until it holds or the deadline passes.
inline bool WaitUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

/// Records every POST it gets; answers with `status` and `reply`.
class Receiver {
  public:
    explicit Receiver(net::Runtime& runtime) {
        for (const char* path : {"/stk", "/result", "/timeout", "/confirmation", "/validation"}) {
            router_.Add("POST", path, [this, path](net::Request& req) {
                std::lock_guard lock(mu_);
                received_.push_back({path, Json::parse(req.body, nullptr, false)});
                if (std::string(path) == "/validation") return net::Response::Json(200, validation_reply);
                return net::Response::Json(status, reply);
            });
        }
        net::ServerOptions options;
        options.name = "receiver";
        options.access_log = false;
        server_ = std::make_unique<net::Server>(runtime, router_, options);
        port_ = server_->Start();
    }
    ~Receiver() { server_->Stop(); }

    std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    std::vector<Json> Bodies(const std::string& path) {
        std::lock_guard lock(mu_);
        std::vector<Json> out;
        for (auto& [p, body] : received_) {
            if (p == path) out.push_back(body);
        }
        return out;
    }
    size_t Count(const std::string& path) { return Bodies(path).size(); }
    /// Waits until at least n posts arrived on path; returns them.
    std::vector<Json> WaitFor(const std::string& path, size_t n = 1) {
        WaitUntil([&] { return Count(path) >= n; });
        return Bodies(path);
    }

    std::atomic<int> status{200};
    Json reply = {{"ResultCode", 0}, {"ResultDesc", "Accepted"}};
    Json validation_reply = {{"ResultCode", "0"}, {"ResultDesc", "Accepted"}, {"ThirdPartyTransID", "ORDER-1"}};

  private:
    net::Router router_;
    std::unique_ptr<net::Server> server_;
    uint16_t port_ = 0;
    std::mutex mu_;
    std::vector<std::pair<std::string, Json>> received_;
};

struct Reply {
    int status = 0;
    Json body;
    std::string text;
};

class SimTest : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        receiver_ = std::make_unique<Receiver>(runtime_);
    }
    void TearDown() override {
        if (sim_) sim_->Stop();
        sim_.reset();
        receiver_.reset();
        client_.reset();
        runtime_.Stop();
    }

    static SimulatorOptions FastOptions() {
        SimulatorOptions o;
        o.callback_delay = std::chrono::milliseconds(30);
        o.access_log = false;
        o.seed = 42;
        return o;
    }

    void StartSim(SimulatorOptions options = FastOptions(), net::TlsOptions tls = {}) {
        sim_ = std::make_unique<Simulator>(runtime_, std::move(options));
        sim_->Start();
        if (!sim_->TlsCertificateFile().empty() && tls.ca_file.empty()) tls.ca_file = sim_->TlsCertificateFile();
        client_ = std::make_unique<net::HttpClient>(runtime_, tls);
    }

    Reply Send(const std::string& method, const std::string& path, const std::string& body, net::Headers headers) {
        net::ClientRequest req;
        req.method = method;
        req.url = sim_->BaseUrl() + path;
        req.headers = std::move(headers);
        req.body = body;
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return {};
        return {res->status, Json::parse(res->body, nullptr, false), res->body};
    }

    std::string Token() {
        if (!token_.empty()) return token_;
        auto r = Send("GET", "/oauth/v1/generate?grant_type=client_credentials", "",
                      {{"Authorization", "Basic " + Base64Encode("key:secret")}});
        token_ = r.body.value("access_token", "");
        return token_;
    }

    Reply Post(const std::string& path, const Json& body, const std::string& token = "") {
        return Send(
            "POST", path, body.dump(),
            {{"Authorization", "Bearer " + (token.empty() ? Token() : token)}, {"Content-Type", "application/json"}});
    }

    Reply Control(const std::string& method, const std::string& path, const Json& body = nullptr) {
        return Send(method, path, body.is_null() ? "" : body.dump(), {{"Content-Type", "application/json"}});
    }

    void SetRules(const Json& rules) {
        auto r = Control("POST", "/sim/v1/rules", {{"rules", rules}, {"replace", true}});
        ASSERT_EQ(r.status, 200) << r.text;
    }

    /// The STK fixture with a fresh Timestamp/Password and our receiver as CallBackURL.
    Json StkRequest(int64_t amount = 1, const std::string& phone = "254708374149") {
        Json body = Fixture("stkpush.request.json");
        std::string ts = FormatEat(Clock::now(), "%Y%m%d%H%M%S");
        body["Timestamp"] = ts;
        body["Password"] = Base64Encode("174379" + SimulatorOptions{}.passkey + ts);
        body["Amount"] = amount;
        body["PartyA"] = std::stoll(phone);
        body["PhoneNumber"] = std::stoll(phone);
        body["CallBackURL"] = receiver_->Url("/stk");
        return body;
    }

    Json QueryRequest(const std::string& checkout_id) {
        Json body = Fixture("stkpushquery.request.json");
        std::string ts = FormatEat(Clock::now(), "%Y%m%d%H%M%S");
        body["Timestamp"] = ts;
        body["Password"] = Base64Encode("174379" + SimulatorOptions{}.passkey + ts);
        body["CheckoutRequestID"] = checkout_id;
        return body;
    }

    std::string Credential(const std::string& password = "Safaricom999!*!") {
        auto c = CredentialKey::Encrypt(sim_->CertificatePem(), password);
        EXPECT_TRUE(c.has_value());
        return c.value_or("");
    }

    /// A B2C-family fixture with our credential and receiver URLs.
    Json AsyncRequest(const std::string& fixture, const std::string& password = "Safaricom999!*!") {
        Json body = Fixture(fixture);
        body["SecurityCredential"] = Credential(password);
        body["ResultURL"] = receiver_->Url("/result");
        body["QueueTimeOutURL"] = receiver_->Url("/timeout");
        return body;
    }

    /// Runs a successful STK push to completion; returns the receipt.
    std::string CompletedStk(int64_t amount, const std::string& phone = "254708374149") {
        size_t before = receiver_->Count("/stk");
        auto r = Post("/mpesa/stkpush/v1/processrequest", StkRequest(amount, phone));
        EXPECT_EQ(r.status, 200) << r.text;
        auto cbs = receiver_->WaitFor("/stk", before + 1);
        if (cbs.size() <= before) return "";
        for (const auto& item : cbs.back()["Body"]["stkCallback"]["CallbackMetadata"]["Item"]) {
            if (item["Name"] == "MpesaReceiptNumber") return item["Value"];
        }
        return "";
    }

    net::Runtime runtime_{6};
    std::unique_ptr<Receiver> receiver_;
    std::unique_ptr<Simulator> sim_;
    std::unique_ptr<net::HttpClient> client_;
    std::string token_;
};

/// Every key of `expected` is in `actual` with the same JSON type, recursively (arrays by first element).
inline void ExpectSameShape(const Json& expected, const Json& actual, const std::string& where = "$") {
    auto type_name = [](const Json& j) {
        if (j.is_number()) return std::string("number");
        return std::string(j.type_name());
    };
    ASSERT_EQ(type_name(expected), type_name(actual)) << "type differs at " << where << ": " << actual.dump();
    if (expected.is_object()) {
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            ASSERT_TRUE(actual.contains(it.key()))
                << "missing key " << where << "." << it.key() << " in " << actual.dump();
            ExpectSameShape(it.value(), actual[it.key()], where + "." + it.key());
        }
        for (auto it = actual.begin(); it != actual.end(); ++it) {
            EXPECT_TRUE(expected.contains(it.key())) << "extra key " << where << "." << it.key();
        }
    }
}

/// Key/Value (or Name/Value) lists: same set of keys with the same value types, order ignored.
inline void ExpectSameItems(const Json& expected, const Json& actual, const char* name_key) {
    auto as_list = [](const Json& j) { return j.is_array() ? j : Json::array({j}); };
    Json e = as_list(expected);
    Json a = as_list(actual);
    ASSERT_EQ(e.size(), a.size()) << a.dump();
    for (const auto& item : e) {
        bool found = false;
        for (const auto& other : a) {
            if (other[name_key] != item[name_key]) continue;
            found = true;
            EXPECT_EQ(item.contains("Value"), other.contains("Value")) << item.dump();
            if (item.contains("Value") && other.contains("Value")) {
                EXPECT_EQ(item["Value"].is_number(), other["Value"].is_number()) << other.dump();
                EXPECT_EQ(item["Value"].is_string(), other["Value"].is_string()) << other.dump();
            }
        }
        EXPECT_TRUE(found) << "missing item " << item.dump() << " in " << a.dump();
    }
}

}  // namespace haven::sim::test
