#pragma once
// `haven-mpesa c2b register [--agency ID]`: registers an agency's C2B URLs with Daraja (app/c2b_cli.cpp).
#include <CLI/CLI.hpp>

namespace haven::app {

/// Adds the `c2b` subcommand to `app`; it runs from CLI11's callback and fails with CLI::RuntimeError(code).
void AddC2bCommands(CLI::App& app);

}  // namespace haven::app
