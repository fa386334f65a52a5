// LOG_FILE: log lines reach the file as well as stdout, and the file rotates by size.
#include "app/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace haven::app {
namespace {

namespace fs = std::filesystem;

class LoggingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir_template[] = "/tmp/haven-logs-XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr);
        dir_ = dir_template;
        previous_ = spdlog::default_logger();
    }
    void TearDown() override {
        spdlog::set_default_logger(previous_);
        fs::remove_all(dir_);
    }
    static std::string Read(const fs::path& p) {
        std::ifstream in(p);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    fs::path dir_;
    std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(LoggingTest, LinesReachTheFileInAFolderItCreates) {
    const fs::path file = dir_ / "logs" / "combined.log";
    ASSERT_TRUE(ConfigureLogging({.level = "info", .file = file.string()}));
    spdlog::info("gateway POST /api/v1/mpesa/stk-push 200");
    spdlog::debug("not written at info");
    spdlog::default_logger()->flush();
    const std::string text = Read(file);
    EXPECT_NE(text.find("gateway POST /api/v1/mpesa/stk-push 200"), std::string::npos) << text;
    EXPECT_EQ(text.find("not written at info"), std::string::npos);
}

TEST_F(LoggingTest, TheFileRotatesBySizeKeepingTheSetCount) {
    const fs::path file = dir_ / "haven.log";
    ASSERT_TRUE(ConfigureLogging({.level = "info", .file = file.string(), .file_max_bytes = 4096, .file_count = 2}));
    for (int i = 0; i < 400; ++i) spdlog::info("line {} of a busy rent week", i);
    spdlog::default_logger()->flush();
    EXPECT_TRUE(fs::exists(file));
    EXPECT_TRUE(fs::exists(dir_ / "haven.1.log"));
    EXPECT_TRUE(fs::exists(dir_ / "haven.2.log"));
    EXPECT_FALSE(fs::exists(dir_ / "haven.3.log"));
    EXPECT_LE(fs::file_size(file), 4096u);
    EXPECT_NE(Read(file).find("line 399 of a busy rent week"), std::string::npos);
}

TEST_F(LoggingTest, AFileThatCannotBeWrittenIsAClearError) {
    std::ofstream(dir_ / "not-a-folder") << "x";
    auto result = ConfigureLogging({.level = "info", .file = (dir_ / "not-a-folder" / "haven.log").string()});
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("LOG_FILE"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace haven::app
