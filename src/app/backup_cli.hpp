#pragma once
// `haven-mpesa backup FILE [--force]`: a consistent online copy of the SQLite database while the gateway runs.
#include <CLI/CLI.hpp>

namespace haven::app {

/// Adds the `backup` subcommand to `app`; it runs during parsing and a failure exits with its code.
void AddBackupCommand(CLI::App& app);

}  // namespace haven::app
