#pragma once
// Real child processes for the crash test: spawn with an explicit environment, kill -9, wait with a
// deadline, and never leave one behind (the destructor kills, and a child dies with the test).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace haven::crash {

class ChildProcess {
  public:
    /// Starts argv[0] (a path) in `cwd` with exactly `env` (no inherited variables, so a developer's
    /// MPESA_* settings or a .env file cannot leak in); stdout and stderr are appended to `log`.
    /// Throws std::runtime_error when fork fails.
    ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 const std::filesystem::path& cwd, const std::filesystem::path& log);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    /// False once the process has exited (it is reaped then).
    bool Running();
    /// Sends sig (SIGKILL, SIGTERM).
    void Signal(int sig);
    /// Waits for the exit; the raw wait status, or nullopt if still running at the deadline.
    std::optional<int> Wait(std::chrono::milliseconds deadline);
    /// SIGKILL and reap (no-op when already gone).
    void KillAndReap();

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

/// Runs a command to completion (deadline); returns its exit code, -1 on timeout or signal.
int RunToCompletion(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::filesystem::path& cwd, const std::filesystem::path& log,
                    std::chrono::milliseconds deadline);

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, closed), for a server whose URL must be
/// known before it starts and must stay the same across a restart.
int FreeLoopbackPort();

/// The last `lines` lines of a text file ("" if missing); with `keep`, only lines containing one of them.
std::string Tail(const std::filesystem::path& file, size_t lines, const std::vector<std::string>& keep = {});

/// A fresh directory from mkdtemp, removed with everything in it when this goes out of scope.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace haven::crash
