#include "app/logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace haven::app {

core::Result<void> ConfigureLogging(const LogSettings& settings) {
    const auto level = spdlog::level::from_str(settings.level);
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stdout_color_sink_mt>()};
    if (!settings.file.empty()) {
        try {
            const auto folder = std::filesystem::path(settings.file).parent_path();
            if (!folder.empty()) std::filesystem::create_directories(folder);
            sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                settings.file, settings.file_max_bytes, settings.file_count));
        } catch (const std::exception& e) {
            return core::Fail(core::ErrorCode::kValidation,
                              "LOG_FILE: cannot write " + settings.file + ": " + e.what());
        }
    }
    auto logger = std::make_shared<spdlog::logger>("haven", sinks.begin(), sinks.end());
    logger->set_level(level);
    // A payments log is read after an incident: warnings and errors reach the file at once.
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
    return {};
}

}  // namespace haven::app
