#pragma once
// The node webhook receiver (receiver.mjs) as a child process of a test, on a port of its own choosing.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "../crash/process.hpp"

namespace haven::testing {

/// The node receiver as a child process, on a port of its own choosing.
class Receiver {
  public:
    explicit Receiver(const std::filesystem::path& dir) : log_(dir / "receiver.log") {
        proc_ = std::make_unique<crash::ChildProcess>(
            std::vector<std::string>{HAVEN_NODE, std::string(HAVEN_WEBHOOKS_DIR) + "/receiver.mjs"},
            std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "NODE_PATH="}, HAVEN_WEBHOOKS_DIR, log_);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        const std::regex listening("LISTENING ([0-9]+)");
        while (std::chrono::steady_clock::now() < until && port_ == 0) {
            std::ifstream in(log_);
            std::stringstream text;
            text << in.rdbuf();
            std::smatch m;
            const std::string s = text.str();
            if (std::regex_search(s, m, listening)) port_ = std::stoi(m[1]);
            if (port_ == 0 && !proc_->Running()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    /// Fails the test (never skips it) when node or the verifier library is missing: run `npm ci` in tests/webhooks.
    bool Started() const { return port_ != 0; }
    std::string Log() const { return crash::Tail(log_, 20); }
    std::string Url(const std::string& host = "127.0.0.1") const {
        return "http://" + host + ":" + std::to_string(port_) + "/hook";
    }
    std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  private:
    std::filesystem::path log_;
    std::unique_ptr<crash::ChildProcess> proc_;
    int port_ = 0;
};

}  // namespace haven::testing
