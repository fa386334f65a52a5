#pragma once
// A real gateway (simulator mode, SQLite in a temp dir) and a client talking to it over loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "app/gateway.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"

namespace haven::testing {

using nlohmann::json;

struct Reply {
    int status = 0;
    json body;
    net::Headers headers;
};

class GatewayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        StartGateway([](app::Config&) {});
    }
    void TearDown() override {
        if (gateway_) gateway_->Stop();
        client_runtime_.Stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    void StartGateway(const std::function<void(app::Config&)>& tweak) {
        // mkdtemp: a new, empty directory even when a recycled pid meets a folder an earlier run left behind.
        std::string pattern = (std::filesystem::temp_directory_path() / "haven-it-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        auto config = app::LoadConfig([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
        ASSERT_TRUE(config.has_value()) << config.error().message;
        config->database_url = "sqlite:" + (dir_ / "haven.db").string();
        config->port = 0;
        config->host = "127.0.0.1";
        config->simulator_callback_delay = std::chrono::milliseconds(50);
        config->reconciler.interval = std::chrono::seconds(3600);  // tests run passes explicitly
        config->rate_limit_per_second = 0;
        config->web_root = "";
        config->metrics_port = 0;  // METRICS_LISTEN on a free port: gateways of tests running side by side
        tweak(*config);
        gateway_ = std::make_unique<app::Gateway>(*config);
        auto started = gateway_->Start();
        ASSERT_TRUE(started.has_value()) << started.error().message;
        client_runtime_.Start();
        client_ = std::make_unique<net::HttpClient>(client_runtime_);
        AddUser("admin@a.test", core::Role::kAdmin, "Agency A");
        AddUser("manager@a.test", core::Role::kManager, "Agency A");
        AddUser("viewer@a.test", core::Role::kViewer, "Agency A");
        AddUser("admin@b.test", core::Role::kAdmin, "Agency B");
    }

    void AddUser(const std::string& email, core::Role role, const std::string& agency) {
        auto user = app::AddUser(gateway_->store(), email, kPassword, role, agency);
        ASSERT_TRUE(user.has_value()) << user.error().message;
    }

    Reply Call(const std::string& method, const std::string& url, const std::string& body,
               const net::Headers& headers = {}) {
        net::ClientRequest req;
        req.method = method;
        req.url = url;
        req.body = body;
        req.headers = headers;
        if (!body.empty() && !req.headers.count("Content-Type")) req.headers["Content-Type"] = "application/json";
        auto res = client_->Send(req);
        EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().message);
        if (!res) return {};
        return {res->status, json::parse(res->body, nullptr, false), res->headers};
    }

    Reply Api(const std::string& method, const std::string& path, const json& body = nullptr,
              const std::string& token = "", net::Headers headers = {}) {
        if (!token.empty()) headers["Authorization"] = "Bearer " + token;
        return Call(method, gateway_->BaseUrl() + path, body.is_null() ? "" : body.dump(), headers);
    }

    Reply Sim(const std::string& method, const std::string& path, const json& body = nullptr) {
        return Call(method, gateway_->SimulatorUrl() + path, body.is_null() ? "" : body.dump());
    }

    std::string Login(const std::string& email) {
        auto r = Api("POST", "/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"].value("token", "");
    }

    /// Sets simulator rules for STK pushes of the given amount.
    void SimRule(int64_t amount, const json& then) {
        auto r = Sim("POST", "/sim/v1/rules",
                     {{"rules", json::array({{{"api", "stkpush"}, {"when", {{"amount", amount}}}, {"then", then}}})},
                      {"replace", false}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
    }

    json CreateLease(const std::string& token, const std::string& reference = "A1") {
        auto r = Api("POST", "/api/v1/leases",
                     {{"tenantName", "Wanjiku Kamau"},
                      {"phoneNumber", "0708374149"},
                      {"unit", "B4"},
                      {"monthlyRent", 15000},
                      {"accountReference", reference}},
                     token);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["data"];
    }

    json StkBody(int64_t amount, std::optional<int64_t> lease_id = std::nullopt) {
        json b = {
            {"phoneNumber", "0708374149"}, {"amount", amount}, {"accountReference", "A1"}, {"transactionDesc", "Rent"}};
        if (lease_id) b["leaseId"] = *lease_id;
        return b;
    }

    /// Polls the detailed status until it leaves PENDING (or the deadline passes).
    json WaitFinal(const std::string& token, const std::string& checkout_id,
                   std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        json data;
        while (std::chrono::steady_clock::now() < until) {
            auto r = Api("GET", "/api/v1/mpesa/status-detailed/" + checkout_id, nullptr, token);
            data = r.body["data"];
            if (r.status == 200 && data["status"] != "PENDING") return data;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return data;
    }

    /// Polls until pred() holds or the deadline passes; returns pred()'s last value.
    static bool Eventually(const std::function<bool()>& pred,
                           std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (std::chrono::steady_clock::now() < until) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return pred();
    }

    int SimRequestCount(const std::string& path_part) {
        auto r = Sim("GET", "/sim/v1/requests");
        int n = 0;
        const json& list = r.body.is_object() && r.body.contains("requests") ? r.body["requests"] : r.body;
        if (!list.is_array()) return -1;
        for (const auto& item : list) {
            if (item.value("path", "").find(path_part) != std::string::npos) ++n;
        }
        return n;
    }

    static constexpr const char* kPassword = "correct-horse-42";
    std::filesystem::path dir_;
    std::unique_ptr<app::Gateway> gateway_;
    net::Runtime client_runtime_{2};
    std::unique_ptr<net::HttpClient> client_;
};

}  // namespace haven::testing
