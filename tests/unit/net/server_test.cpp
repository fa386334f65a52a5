#include "net/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "metrics/registry.hpp"
#include "net/http_client.hpp"
#include "test_support.hpp"

namespace haven::net {
namespace {

using namespace std::chrono_literals;

// Polls cond until it holds or the deadline passes (no sleeps to wait for events).
template <class F>
bool Eventually(F cond, std::chrono::milliseconds deadline = 5000ms) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (cond()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return cond();
}

class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        router_.Add("POST", "/api/echo/{id}", [](Request& req) {
            auto body = nlohmann::json::parse(req.body, nullptr, false);
            return Response::Json(200, {{"id", req.Param("id")}, {"body", body}, {"request_id", req.request_id}});
        });
        router_.Add("GET", "/api/query", [](Request& req) {
            return Response::Json(
                200, {{"a", req.Query("a").value_or("")}, {"b", req.Query("b").value_or("")}, {"path", req.path}});
        });
        router_.Add("GET", "/api/custom-header", [](Request&) {
            Response res = Response::Text(200, "ok");
            res.headers["X-Frame-Options"] = "SAMEORIGIN";
            res.headers["X-Powered-By"] = "something";
            return res;
        });
        router_.Add("GET", "/api/boom", [](Request&) -> Response { throw std::runtime_error("kaboom"); });
        router_.Add("PUT", "/api/items/{id}", [](Request&) { return Response::Text(200, "put"); });
        router_.Add("DELETE", "/api/items/{id}", [](Request&) { return Response::Text(200, "deleted"); });
    }

    void TearDown() override {
        if (server_) server_->Stop();
        server_.reset();
        runtime_.Stop();
    }

    void StartServer(ServerOptions options = {}) {
        options.access_log = false;
        server_ = std::make_unique<Server>(runtime_, router_, std::move(options));
        port_ = server_->Start();
        ASSERT_NE(port_, 0);
    }

    core::Result<ClientResponse> Call(std::string method, std::string path, std::string body = "",
                                      Headers headers = {}) {
        ClientRequest req;
        req.method = std::move(method);
        req.url = "http://127.0.0.1:" + std::to_string(port_) + path;
        req.body = std::move(body);
        req.headers = std::move(headers);
        req.timeout = 10000ms;
        return client_.Send(req);
    }

    Runtime runtime_{4};
    Router router_;
    HttpClient client_{runtime_};
    std::unique_ptr<Server> server_;
    uint16_t port_ = 0;
};

TEST_F(ServerTest, JsonRoundTripWithRouteParams) {
    StartServer();
    auto res = Call("POST", "/api/echo/42", R"({"amount":10})", {{"Content-Type", "application/json"}});
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->headers.at("content-type"), "application/json; charset=utf-8");
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["id"], "42");
    EXPECT_EQ(body["body"]["amount"], 10);
    ASSERT_TRUE(res->headers.count("Request-Id"));
    EXPECT_EQ(res->headers.at("Request-Id").size(), 32u);
    EXPECT_EQ(body["request_id"], res->headers.at("Request-Id"));
}

TEST_F(ServerTest, DecodesQueryParameters) {
    StartServer();
    auto res = Call("GET", "/api/query?a=1&b=x%20y+z");
    ASSERT_TRUE(res) << res.error().message;
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["a"], "1");
    EXPECT_EQ(body["b"], "x y z");
    EXPECT_EQ(body["path"], "/api/query");
}

TEST_F(ServerTest, ReusesAValidIncomingRequestId) {
    StartServer();
    auto res = Call("GET", "/api/query", "", {{"X-Request-Id", "abc-123_XYZ"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->headers.at("Request-Id"), "abc-123_XYZ");
}

TEST_F(ServerTest, ReplacesAnInvalidIncomingRequestId) {
    StartServer();
    auto bad_chars = Call("GET", "/api/query", "", {{"Request-Id", "abc<script>"}});
    ASSERT_TRUE(bad_chars);
    EXPECT_NE(bad_chars->headers.at("Request-Id"), "abc<script>");
    EXPECT_EQ(bad_chars->headers.at("Request-Id").size(), 32u);
    auto too_long = Call("GET", "/api/query", "", {{"Request-Id", std::string(65, 'a')}});
    ASSERT_TRUE(too_long);
    EXPECT_NE(too_long->headers.at("Request-Id"), std::string(65, 'a'));
}

TEST_F(ServerTest, AddsSecurityHeadersAndNoServerBanner) {
    StartServer();
    auto res = Call("GET", "/api/query");
    ASSERT_TRUE(res);
    const auto& h = res->headers;
    EXPECT_EQ(h.at("Content-Security-Policy"), ServerOptions{}.content_security_policy);
    EXPECT_EQ(h.at("X-Frame-Options"), "DENY");
    EXPECT_EQ(h.at("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(h.at("Strict-Transport-Security"), "max-age=31536000; includeSubDomains");
    EXPECT_EQ(h.at("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(h.at("Cross-Origin-Opener-Policy"), "same-origin");
    // helmet's other defaults, which Haven's Express stack sent
    EXPECT_EQ(h.at("Cross-Origin-Resource-Policy"), "same-origin");
    EXPECT_EQ(h.at("Origin-Agent-Cluster"), "?1");
    EXPECT_EQ(h.at("X-DNS-Prefetch-Control"), "off");
    EXPECT_EQ(h.at("X-Download-Options"), "noopen");
    EXPECT_EQ(h.at("X-Permitted-Cross-Domain-Policies"), "none");
    EXPECT_EQ(h.at("X-XSS-Protection"), "0");
    EXPECT_EQ(h.count("X-Powered-By"), 0u);
    EXPECT_EQ(h.count("Server"), 0u);
}

TEST_F(ServerTest, HandlerHeadersWinOverDefaultsButNeverPoweredBy) {
    StartServer();
    auto res = Call("GET", "/api/custom-header");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->headers.at("X-Frame-Options"), "SAMEORIGIN");
    EXPECT_EQ(res->headers.count("X-Powered-By"), 0u);
}

TEST_F(ServerTest, SecurityHeadersCanBeDisabled) {
    ServerOptions options;
    options.security_headers = false;
    StartServer(options);
    auto res = Call("GET", "/api/query");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->headers.count("Content-Security-Policy"), 0u);
    EXPECT_EQ(res->headers.count("Request-Id"), 1u);
}

TEST_F(ServerTest, OversizedBodyIs413) {
    ServerOptions options;
    options.max_body_bytes = 1024;
    StartServer(options);
    auto res = Call("POST", "/api/echo/1", std::string(4096, 'x'));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 413);
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["success"], false);
    EXPECT_EQ(body["error"]["code"], "PAYLOAD_TOO_LARGE");
    EXPECT_TRUE(res->headers.count("Request-Id"));
    // a body at the limit still goes through
    auto ok = Call("POST", "/api/echo/1", std::string(1024, 'x'));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, RateLimitAnswers429WithRetryAfterAfterTheBurst) {
    ServerOptions options;
    options.rate_limit_per_second = 0.01;  // refills one token in 100 s: the burst is all there is
    options.rate_limit_burst = 3;
    StartServer(options);
    for (int i = 0; i < 3; ++i) {
        auto res = Call("GET", "/api/query");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200) << "request " << i;
    }
    auto limited = Call("GET", "/api/query");
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->status, 429);
    ASSERT_TRUE(limited->headers.count("Retry-After"));
    EXPECT_GE(std::stoi(limited->headers.at("Retry-After")), 1);
    EXPECT_EQ(nlohmann::json::parse(limited->body)["error"]["code"], "RATE_LIMITED");
}

TEST_F(ServerTest, RequestsAreCountedByRoutePatternMethodAndStatus) {
    metrics::Registry registry;
    ServerOptions options;
    options.metrics = &registry;
    options.max_body_bytes = 1024;
    options.rate_limit_per_second = 0.01;  // the burst is all there is
    options.rate_limit_burst = 4;
    StartServer(options);
    EXPECT_EQ(Call("GET", "/api/query")->status, 200);
    EXPECT_EQ(Call("POST", "/api/echo/4242", "{}")->status, 200);
    EXPECT_EQ(Call("HEAD", "/api/query")->status, 200);
    EXPECT_EQ(Call("POST", "/api/echo/7", std::string(4096, 'x'))->status, 413);  // answered before the chain
    EXPECT_EQ(Call("GET", "/nope/31337")->status, 404);
    EXPECT_EQ(Call("GET", "/api/query")->status, 429);  // the fifth request of a burst of four
    // Each answer is counted before it is written, so the client has seen it only once it counts.
    const std::string text = registry.Expose();
    for (const char* line : {
             R"m(haven_http_requests_total{method="GET",route="/api/query",status="200"} 1)m",
             R"m(haven_http_requests_total{method="POST",route="/api/echo/{id}",status="200"} 1)m",
             R"m(haven_http_requests_total{method="HEAD",route="/api/query",status="200"} 1)m",
             R"m(haven_http_requests_total{method="POST",route="(none)",status="413"} 1)m",
             R"m(haven_http_requests_total{method="GET",route="(none)",status="404"} 1)m",
             R"m(haven_http_requests_total{method="GET",route="(none)",status="429"} 1)m",
             R"m(haven_http_request_duration_seconds_count{method="GET",route="/api/query"} 1)m",
         }) {
        EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
    }
    EXPECT_EQ(text.find("4242"), std::string::npos) << text;
    EXPECT_EQ(text.find("31337"), std::string::npos) << text;
    server_->Stop();  // before the registry goes
    server_.reset();
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
    StartServer();
    auto res = Call("POST", "/api/items/9");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 405);
    EXPECT_EQ(res->headers.at("Allow"), "DELETE, PUT");
    EXPECT_EQ(nlohmann::json::parse(res->body)["error"]["code"], "METHOD_NOT_ALLOWED");
}

TEST_F(ServerTest, UnknownPathIs404Json) {
    StartServer();
    auto res = Call("POST", "/api/nothing-here");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["success"], false);
    EXPECT_EQ(body["error"]["code"], "NOT_FOUND");
    auto get = Call("GET", "/nothing");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 404);
}

TEST_F(ServerTest, CustomErrorBodyShapesServerErrors) {
    ServerOptions options;
    options.error_body = [](int status, const std::string& code, const std::string&, const std::string& rid) {
        return Response::Json(status, {{"ResultCode", code}, {"rid", rid}});
    };
    StartServer(options);
    auto res = Call("GET", "/missing");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["ResultCode"], "NOT_FOUND");
    EXPECT_EQ(body["rid"], res->headers.at("Request-Id"));
}

TEST_F(ServerTest, HandlerExceptionIs500WithRequestId) {
    StartServer();
    auto res = Call("GET", "/api/boom");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 500);
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["error"]["code"], "INTERNAL_ERROR");
    const auto rid = res->headers.at("Request-Id");
    EXPECT_EQ(body["error"]["request_id"], rid);
    EXPECT_NE(body["error"]["message"].get<std::string>().find(rid), std::string::npos);
    EXPECT_EQ(body.dump().find("kaboom"), std::string::npos) << "exception text must not leak to clients";
    // the server survives
    auto after = Call("GET", "/api/query");
    ASSERT_TRUE(after);
    EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, HeadOnAGetRouteHasNoBody) {
    StartServer();
    auto res = Call("HEAD", "/api/query");
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_TRUE(res->body.empty());
}

TEST_F(ServerTest, HandlersRunConcurrentlyOnTheWorkerPool) {
    constexpr int kParallel = 4;
    std::mutex mu;
    std::condition_variable cv;
    int arrived = 0;
    router_.Add("GET", "/api/rendezvous", [&](Request&) {
        std::unique_lock lock(mu);
        ++arrived;
        cv.notify_all();
        // every handler must be inside at the same time: a serial server would never get there
        bool all = cv.wait_for(lock, 10s, [&] { return arrived >= kParallel; });
        return Response::Text(all ? 200 : 503, all ? "together" : "alone");
    });
    StartServer();
    std::vector<std::future<core::Result<ClientResponse>>> calls;
    for (int i = 0; i < kParallel; ++i) {
        calls.push_back(std::async(std::launch::async, [this] { return Call("GET", "/api/rendezvous"); }));
    }
    for (auto& call : calls) {
        auto res = call.get();
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->status, 200);
        EXPECT_EQ(res->body, "together");
    }
}

TEST_F(ServerTest, AsyncHandlersWaitWithoutHoldingAThread) {
    // 4 pool threads, 64 requests waiting at once: only handlers that return while they wait can get there.
    constexpr int kWaiting = 64;
    std::mutex mu;
    std::vector<Reply> parked;
    router_.AddAsync("GET", "/api/park/{n}", [&](Request& req, Reply reply) {
        std::lock_guard lock(mu);
        parked.push_back(reply);
        if (static_cast<int>(parked.size()) < kWaiting) return;
        for (size_t i = 0; i < parked.size(); ++i) parked[i](Response::Text(200, "released"));
        (void)req;
    });
    StartServer();
    std::mutex done_mu;
    std::condition_variable done_cv;
    int answered = 0, released = 0;
    for (int i = 0; i < kWaiting; ++i) {
        ClientRequest req;
        req.url = "http://127.0.0.1:" + std::to_string(port_) + "/api/park/" + std::to_string(i);
        req.timeout = 10000ms;
        client_.SendAsync(req, [&](core::Result<ClientResponse> res) {
            std::lock_guard lock(done_mu);
            ++answered;
            if (res && res->status == 200 && res->body == "released") ++released;
            done_cv.notify_all();
        });
    }
    std::unique_lock lock(done_mu);
    ASSERT_TRUE(done_cv.wait_for(lock, 15s, [&] { return answered == kWaiting; }));
    EXPECT_EQ(released, kWaiting);
}

TEST_F(ServerTest, AsyncReplyFromAnotherThreadAndOnlyTheFirstCounts) {
    router_.AddAsync("POST", "/api/later", [](Request& req, Reply reply) {
        std::thread([body = req.body, reply] {
            std::this_thread::sleep_for(20ms);
            reply(Response::Text(201, "first " + body));
            reply(Response::Text(500, "second"));
        }).detach();
    });
    StartServer();
    auto res = Call("POST", "/api/later", "x");
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 201);
    EXPECT_EQ(res->body, "first x");
    ASSERT_TRUE(res->headers.count("Request-Id"));
}

TEST_F(ServerTest, AsyncHandlerThatDropsItsReplyOrThrowsIs500) {
    router_.AddAsync("GET", "/api/forgot", [](Request&, Reply) {});
    router_.AddAsync("GET", "/api/throws", [](Request&, Reply) { throw std::runtime_error("boom"); });
    StartServer();
    for (const char* path : {"/api/forgot", "/api/throws"}) {
        auto res = Call("GET", path);
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->status, 500) << path;
        auto body = nlohmann::json::parse(res->body);
        EXPECT_EQ(body["success"], false);
        EXPECT_EQ(body["error"]["request_id"], res->headers.at("Request-Id"));
    }
}

TEST_F(ServerTest, DarajaLaneAnswersWhileTheWorkerPoolIsSaturated) {
    // Every worker thread (4) is held by a handler and more requests queue behind them: Daraja's callback
    // and result routes must still answer, because they run on a pool of their own.
    constexpr int kWorkers = 4;
    constexpr int kQueued = 2;
    std::mutex mu;
    std::condition_variable cv;
    int inside = 0;
    bool release = false;
    router_.Add("GET", "/api/slow", [&](Request&) {
        std::unique_lock lock(mu);
        ++inside;
        cv.notify_all();
        // bounded, so a server without the lane fails this test instead of hanging it
        bool released = cv.wait_for(lock, 20s, [&] { return release; });
        return Response::Text(released ? 200 : 503, "slow");
    });
    router_.Add(
        "POST", "/api/daraja/callback", [](Request&) { return Response::Text(200, "callback accepted"); },
        Lane::kDaraja);
    router_.AddAsync(
        "POST", "/api/daraja/result", [](Request&, Reply reply) { reply(Response::Text(200, "result accepted")); },
        Lane::kDaraja);
    StartServer();
    std::vector<std::future<core::Result<ClientResponse>>> slow;
    for (int i = 0; i < kWorkers + kQueued; ++i) {
        slow.push_back(std::async(std::launch::async, [this] { return Call("GET", "/api/slow"); }));
    }
    {
        std::unique_lock lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return inside == kWorkers; }));
    }
    auto callback = Call("POST", "/api/daraja/callback", "{}");
    auto result = Call("POST", "/api/daraja/result", "{}");
    {
        std::lock_guard lock(mu);
        EXPECT_EQ(inside, kWorkers) << "the worker pool was still saturated while Daraja's routes answered";
        release = true;
    }
    cv.notify_all();
    ASSERT_TRUE(callback) << callback.error().message;
    EXPECT_EQ(callback->status, 200);
    EXPECT_EQ(callback->body, "callback accepted");
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "result accepted");
    for (auto& call : slow) {
        auto res = call.get();
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->status, 200);
    }
}

TEST_F(ServerTest, ManyConcurrentClientsAllAnswered) {
    StartServer();
    std::vector<std::future<int>> workers;
    for (int t = 0; t < 8; ++t) {
        workers.push_back(std::async(std::launch::async, [this, t] {
            int ok = 0;
            for (int i = 0; i < 10; ++i) {
                auto res = Call("POST", "/api/echo/" + std::to_string(t * 100 + i), "{}");
                if (res && res->status == 200 &&
                    nlohmann::json::parse(res->body)["id"] == std::to_string(t * 100 + i)) {
                    ++ok;
                }
            }
            return ok;
        }));
    }
    int total = 0;
    for (auto& w : workers) total += w.get();
    EXPECT_EQ(total, 80);
    EXPECT_TRUE(Eventually([this] { return server_->LiveConnections() == 0; }));
}

TEST_F(ServerTest, ListensOnALocalhostName) {
    ServerOptions options;
    options.host = "localhost";
    StartServer(options);
    auto res = Call("GET", "/api/query");
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
}

TEST_F(ServerTest, PortInUseThrows) {
    StartServer();
    ServerOptions options;
    options.port = port_;
    options.access_log = false;
    Server second(runtime_, router_, options);
    EXPECT_THROW(second.Start(), std::runtime_error);
    // the first server is unaffected
    auto res = Call("GET", "/api/query");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
}

TEST_F(ServerTest, StopClosesTheListener) {
    StartServer();
    ASSERT_TRUE(Call("GET", "/api/query"));
    server_->Stop();
    auto res = Call("GET", "/api/query");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, core::ErrorCode::kUpstreamUnavailable);
}

TEST_F(ServerTest, LargeOversizedBodyStillGets413) {
    // far larger than the socket buffers: the server must drain, not reset, so the client reads the 413
    ServerOptions options;
    options.max_body_bytes = 1024;
    StartServer(options);
    auto res = Call("POST", "/api/echo/1", std::string(8 * 1024 * 1024, 'x'));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 413);
}

TEST_F(ServerTest, MalformedRequestIs400) {
    StartServer();
    testing::RawConnection conn(port_);
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.Send("GET /api/query HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n"));
    auto answer = conn.ReadAll();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("Request-Id: "), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    StartServer();
    testing::RawConnection conn(port_);
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(
        conn.Send("GET /api/query?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /api/query?a=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto answer = conn.ReadAll();
    EXPECT_NE(answer.find(R"("a":"1")"), std::string::npos) << answer;
    EXPECT_NE(answer.find(R"("a":"2")"), std::string::npos) << answer;
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
    ServerOptions options;
    options.idle_timeout = std::chrono::seconds(1);
    StartServer(options);
    testing::RawConnection conn(port_);
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(Eventually([this] { return server_->LiveConnections() == 1; }));
    // the server hangs up by itself: ReadAll returns on EOF (its own deadline is only a safety net)
    EXPECT_EQ(conn.ReadAll(10s), "");
    EXPECT_TRUE(Eventually([this] { return server_->LiveConnections() == 0; }));
}

TEST_F(ServerTest, ConnectionCapRefusesExtraConnections) {
    ServerOptions options;
    options.max_connections = 1;
    StartServer(options);
    testing::RawConnection holder(port_);
    ASSERT_TRUE(holder.connected());
    ASSERT_TRUE(Eventually([this] { return server_->LiveConnections() == 1; }));
    auto refused = Call("GET", "/api/query");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, core::ErrorCode::kUpstreamUnavailable);
    EXPECT_EQ(server_->LiveConnections(), 1);
}

TEST_F(ServerTest, StopClosesLiveConnections) {
    StartServer();
    testing::RawConnection idle(port_);
    ASSERT_TRUE(idle.connected());
    ASSERT_TRUE(Eventually([this] { return server_->LiveConnections() == 1; }));
    server_->Stop();
    EXPECT_EQ(server_->LiveConnections(), 0);
    EXPECT_EQ(idle.ReadAll(10s), "");
}

class StaticFilesTest : public ServerTest {
  protected:
    void SetUp() override {
        ServerTest::SetUp();
        dir_ = testing::MakeTempDir("haven-net-static");
        std::filesystem::create_directories(dir_ + "/web/app");
        Write(dir_ + "/web/index.html", "<h1>home</h1>");
        Write(dir_ + "/web/app/index.html", "<h1>app</h1>");
        Write(dir_ + "/web/app/main.js", "export const x = 1;");
        Write(dir_ + "/web/style.css", "body{}");
        Write(dir_ + "/secret.txt", "top secret");
        ServerOptions options;
        options.web_root = dir_ + "/web";
        StartServer(options);
    }
    void TearDown() override {
        ServerTest::TearDown();
        std::filesystem::remove_all(dir_);
    }
    static void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
    std::string dir_;
};

TEST_F(StaticFilesTest, ServesIndexForRoot) {
    auto res = Call("GET", "/");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "<h1>home</h1>");
    EXPECT_EQ(res->headers.at("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(res->headers.at("X-Frame-Options"), "DENY");
}

TEST_F(StaticFilesTest, ServesFilesWithContentTypes) {
    auto js = Call("GET", "/app/main.js");
    ASSERT_TRUE(js);
    EXPECT_EQ(js->status, 200);
    EXPECT_EQ(js->body, "export const x = 1;");
    EXPECT_EQ(js->headers.at("Content-Type"), "text/javascript; charset=utf-8");
    auto css = Call("GET", "/style.css?v=2");
    ASSERT_TRUE(css);
    EXPECT_EQ(css->headers.at("Content-Type"), "text/css; charset=utf-8");
    auto dir = Call("GET", "/app/");
    ASSERT_TRUE(dir);
    EXPECT_EQ(dir->body, "<h1>app</h1>");
}

TEST_F(StaticFilesTest, RefusesTraversal) {
    for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/app/../../secret.txt", "/..%2fsecret.txt"}) {
        auto res = Call("GET", path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->status, 404) << path;
        EXPECT_EQ(res->body.find("top secret"), std::string::npos) << path;
    }
}

TEST_F(StaticFilesTest, MissingFileIs404AndApiRoutesStillWin) {
    auto missing = Call("GET", "/nope.js");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    auto api = Call("GET", "/api/query?a=5");
    ASSERT_TRUE(api);
    EXPECT_EQ(nlohmann::json::parse(api->body)["a"], "5");
}

}  // namespace
}  // namespace haven::net
