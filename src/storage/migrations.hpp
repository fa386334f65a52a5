#pragma once
// Migrations compiled into the binary (see src/storage/CMakeLists.txt).
#include <string_view>
#include <vector>

namespace haven::storage {

struct Migration {
    std::string_view backend;  // "sqlite" | "postgres": the folder under migrations/
    int version = 0;           // NNN of NNN_name.sql
    std::string_view name;     // "001_init"
    std::string_view sql;
};

/// The migrations of one backend, in ascending version order.
std::vector<Migration> MigrationsFor(std::string_view backend);

}  // namespace haven::storage
