#pragma once
// Where log lines go: stdout always; with LOG_FILE also a file that rotates by size (spdlog's rotating
// sink), as the seed's logs/combined.log. LOG_LEVEL picks the least severe level written.
#include <cstddef>
#include <string>

#include "core/error.hpp"

namespace haven::app {

struct LogSettings {
    std::string level = "info";        // LOG_LEVEL: trace, debug, info, warn, error, critical, off
    std::string file;                  // LOG_FILE: "" = stdout only
    size_t file_max_bytes = 10 << 20;  // LOG_FILE_MAX_MB: a file this big is rotated...
    size_t file_count = 5;             // LOG_FILE_COUNT: ...keeping this many older files (LOG_FILE.1 ...)
};

/// Replaces the default logger. kValidation when the file cannot be opened (its folder is created).
core::Result<void> ConfigureLogging(const LogSettings& settings);

}  // namespace haven::app
