#pragma once
// `haven-mpesa reconcile FILE [--agency ID]`: imports an M-Pesa business statement from the command line.
#include <CLI/CLI.hpp>

namespace haven::app {

/// Adds the `reconcile` subcommand to `app`; it runs during parsing and a failure exits with its code.
void AddReconcileCommand(CLI::App& app);

}  // namespace haven::app
