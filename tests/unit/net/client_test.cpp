#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "net/http_client.hpp"
#include "net/runtime_impl.hpp"
#include "net/server.hpp"
#include "test_support.hpp"

namespace haven::net {
namespace {

using namespace std::chrono_literals;

// A TCP listener on 127.0.0.1 that accepts into its backlog but never reads or answers.
class SilentListener {
  public:
    SilentListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd_, 16), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~SilentListener() { Close(); }
    void Close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

template <class F>
bool Eventually(F cond, std::chrono::milliseconds deadline = 5000ms) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (cond()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return cond();
}

class ClientTest : public ::testing::Test {
  protected:
    void SetUp() override { runtime_.Start(); }
    void TearDown() override { runtime_.Stop(); }
    Runtime runtime_{2};
};

TEST_F(ClientTest, TimesOutAgainstAListenerThatNeverAnswers) {
    SilentListener listener;
    HttpClient client(runtime_);
    ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/slow";
    req.timeout = 300ms;
    auto res = client.Send(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, core::ErrorCode::kUpstreamUnavailable);
    EXPECT_NE(res.error().message.find("timed out after 300 ms"), std::string::npos) << res.error().message;
    EXPECT_NE(res.error().message.find("127.0.0.1:" + std::to_string(listener.port())), std::string::npos);
}

TEST_F(ClientTest, ConnectionRefusedIsUpstreamUnavailable) {
    uint16_t port;
    {
        SilentListener listener;
        port = listener.port();
    }
    HttpClient client(runtime_);
    ClientRequest req;
    req.url = "http://localhost:" + std::to_string(port) + "/";
    auto res = client.Send(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, core::ErrorCode::kUpstreamUnavailable);
    EXPECT_NE(res.error().message.find("connection refused"), std::string::npos) << res.error().message;
}

TEST_F(ClientTest, RejectsBadUrls) {
    HttpClient client(runtime_);
    for (const char* url : {"ftp://x/", "http://", "http://host:99999/", "http://host:abc/", "nonsense"}) {
        ClientRequest req;
        req.url = url;
        auto res = client.Send(req);
        ASSERT_FALSE(res) << url;
        EXPECT_EQ(res.error().code, core::ErrorCode::kValidation) << url;
    }
}

TEST_F(ClientTest, RefusesToBlockTheIoThread) {
    HttpClient client(runtime_);
    std::promise<core::Result<ClientResponse>> done;
    asio::post(runtime_.impl().io, [&] {
        ClientRequest req;
        req.url = "http://127.0.0.1:1/";
        done.set_value(client.Send(req));
    });
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
    auto res = future.get();
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, core::ErrorCode::kInternal);
}

TEST_F(ClientTest, SendsHostUserAgentAndContentLength) {
    Router router;
    router.Add("POST", "/inspect", [](Request& req) {
        return Response::Json(200, {{"host", req.Header("Host").value_or("")},
                                    {"ua", req.Header("User-Agent").value_or("")},
                                    {"len", req.Header("Content-Length").value_or("")},
                                    {"custom", req.Header("X-Custom").value_or("")}});
    });
    ServerOptions options;
    options.access_log = false;
    Server server(runtime_, router, options);
    auto port = server.Start();
    HttpClient client(runtime_);
    ClientRequest req;
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/inspect";
    req.body = "hello";
    req.headers["X-Custom"] = "yes";
    auto res = client.Send(req);
    ASSERT_TRUE(res) << res.error().message;
    auto body = nlohmann::json::parse(res->body);
    EXPECT_EQ(body["host"], "127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(body["ua"], "haven-mpesa/0.1");
    EXPECT_EQ(body["len"], "5");
    EXPECT_EQ(body["custom"], "yes");
    server.Stop();
}

class HttpsTest : public ClientTest {
  protected:
    void SetUp() override {
        ClientTest::SetUp();
        dir_ = testing::MakeTempDir("haven-net-tls");
        cert_ = testing::MakeSelfSignedCert(dir_);
        router_.Add("GET", "/hello", [](Request& req) { return Response::Json(200, {{"hello", "tls"}}); });
        ServerOptions options;
        options.access_log = false;
        options.tls_cert_file = cert_.cert_file;
        options.tls_key_file = cert_.key_file;
        server_ = std::make_unique<Server>(runtime_, router_, options);
        port_ = server_->Start();
    }
    void TearDown() override {
        server_->Stop();
        server_.reset();
        ClientTest::TearDown();
        std::filesystem::remove_all(dir_);
    }
    ClientRequest Hello(const std::string& host) {
        ClientRequest req;
        req.url = "https://" + host + ":" + std::to_string(port_) + "/hello";
        req.timeout = 5000ms;
        return req;
    }
    std::string dir_;
    testing::TestCert cert_;
    Router router_;
    std::unique_ptr<Server> server_;
    uint16_t port_ = 0;
};

TEST_F(HttpsTest, TrustedCaSucceeds) {
    HttpClient client(runtime_, TlsOptions{cert_.cert_file, true});
    for (const char* host : {"localhost", "127.0.0.1"}) {
        auto res = client.Send(Hello(host));
        ASSERT_TRUE(res) << host << ": " << res.error().message;
        EXPECT_EQ(res->status, 200);
        EXPECT_EQ(nlohmann::json::parse(res->body)["hello"], "tls");
        EXPECT_EQ(res->headers.count("Strict-Transport-Security"), 1u);
    }
}

TEST_F(HttpsTest, UntrustedCertificateFailsTheHandshake) {
    HttpClient client(runtime_);  // system trust store: our self-signed cert is not in it
    auto res = client.Send(Hello("localhost"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, core::ErrorCode::kUpstreamUnavailable);
    EXPECT_NE(res.error().message.find("TLS handshake failed"), std::string::npos) << res.error().message;
}

TEST_F(HttpsTest, OtherCaFailsTheHandshake) {
    auto other = testing::MakeSelfSignedCert(dir_, "other");
    HttpClient client(runtime_, TlsOptions{other.cert_file, true});
    auto res = client.Send(Hello("localhost"));
    ASSERT_FALSE(res);
    EXPECT_NE(res.error().message.find("TLS handshake failed"), std::string::npos) << res.error().message;
}

TEST_F(HttpsTest, PlainHttpToTheTlsPortGetsNoAnswer) {
    HttpClient client(runtime_);
    ClientRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port_) + "/hello";
    req.timeout = 2000ms;
    auto res = client.Send(req);
    EXPECT_TRUE(!res || res->status != 200);
}

TEST(Runtime, PostRunsOnTheWorkerPool) {
    Runtime runtime(2);
    runtime.Start();
    std::atomic<bool> ran{false};
    std::atomic<bool> on_io{true};
    runtime.Post([&] {
        on_io = runtime.impl().OnIoThread();
        ran = true;
    });
    EXPECT_TRUE(Eventually([&] { return ran.load(); }));
    EXPECT_FALSE(on_io.load());
    runtime.Stop();
}

TEST(Runtime, PostAfterRunsLaterAndSurvivesThrowingTasks) {
    Runtime runtime(2);
    runtime.Start();
    std::atomic<int> order{0};
    std::atomic<int> delayed_at{-1};
    runtime.Post([] { throw std::runtime_error("task failure is logged, not fatal"); });
    runtime.PostAfter(50ms, [&] { delayed_at = order++; });
    runtime.Post([&] { order++; });
    EXPECT_TRUE(Eventually([&] { return delayed_at.load() >= 0; }));
    runtime.Stop();
}

TEST(Runtime, RunBlockingReturnsTheValueToTheCoroutine) {
    Runtime runtime(2);
    runtime.Start();
    auto& impl = runtime.impl();
    std::promise<std::pair<int, bool>> done;
    asio::co_spawn(
        impl.io,
        [&]() -> asio::awaitable<void> {
            bool worker_off_io = false;
            auto work = [&] {
                worker_off_io = !impl.OnIoThread();
                return 41 + 1;
            };
            int v = co_await RunBlocking(impl.pool, std::move(work));
            done.set_value({v, worker_off_io && impl.OnIoThread()});
        },
        LogOnError("test"));
    auto f = done.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    auto [value, threads_ok] = f.get();
    EXPECT_EQ(value, 42);
    EXPECT_TRUE(threads_ok);
    runtime.Stop();
}

TEST(Runtime, RunBlockingKeepsCapturedOwnershipIntact) {
    // guards the g++ 12 double-destruction bug documented at RunBlocking
    auto shared = std::make_shared<std::string>("payload");
    {
        Runtime runtime(2);
        runtime.Start();
        auto& impl = runtime.impl();
        std::promise<size_t> done;
        asio::co_spawn(
            impl.io,
            [&impl, &done, shared]() -> asio::awaitable<void> {
                size_t total = 0;
                for (int i = 0; i < 3; ++i) {
                    auto work = [shared] { return shared->size(); };
                    total += co_await RunBlocking(impl.pool, std::move(work));
                }
                done.set_value(total);
            },
            LogOnError("test"));
        auto f = done.get_future();
        ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
        EXPECT_EQ(f.get(), 21u);
        runtime.Stop();  // joins the pool and the I/O thread: every copy made on the way is gone now
    }
    EXPECT_EQ(shared.use_count(), 1);
}

}  // namespace
}  // namespace haven::net
