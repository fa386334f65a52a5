#pragma once
// The SMTP sink for receipt tests: tests/support/smtp_sink.py (Debian's python3-aiosmtpd) as a child process on one
// address of this machine, writing each message it receives to a folder (msg-1.eml, msg-2.eml, ...).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crash/process.hpp"

namespace haven::service {

namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline bool WaitUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

/// The SMTP sink as a child process on `host`; its messages land in a temporary folder.
class SmtpSink {
  public:
    explicit SmtpSink(const std::string& host) : host_(host) {
        const fs::path port_file = dir_.path() / "port";
        process_ = std::make_unique<crash::ChildProcess>(
            std::vector<std::string>{HAVEN_PYTHON3, HAVEN_SMTP_SINK, "--host", host, "--dir",
                                     (dir_.path() / "mail").string(), "--port-file", port_file.string()},
            std::vector<std::string>{"LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"}, dir_.path(), dir_.path() / "log");
        started_ = WaitUntil([&] { return fs::exists(port_file) || !process_->Running(); });
        if (fs::exists(port_file)) port_ = std::stoi(ReadFile(port_file));
    }
    ~SmtpSink() { process_->KillAndReap(); }

    int port() const { return port_; }
    std::string Log() const { return crash::Tail(dir_.path() / "log", 30); }
    std::string Url() const { return "smtp://" + host_ + ":" + std::to_string(port_); }
    /// The messages received so far (msg-1.eml, msg-2.eml, ...).
    std::vector<fs::path> Messages() const {
        std::vector<fs::path> out;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir_.path() / "mail", ec)) {
            if (entry.path().extension() == ".eml") out.push_back(entry.path());
        }
        return out;
    }

  private:
    std::string host_;
    crash::TempDir dir_;
    std::unique_ptr<crash::ChildProcess> process_;
    bool started_ = false;
    int port_ = 0;
};

}  // namespace haven::service
