// kvwb-cli verbs: each adds its subcommand (options, help, callback) to the CLI11 app.
// Callbacks throw core::InputError / core::Cancelled; main() turns them into messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace kvwb::cli {

void addImportCommand(CLI::App& app);
void addInfoCommand(CLI::App& app);
void addExportCommand(CLI::App& app);
void addCompactCommand(CLI::App& app);
void addGenerateCommand(CLI::App& app);
void addExtractCommand(CLI::App& app);
void addAnalyzeCommand(CLI::App& app);
void addReportCommand(CLI::App& app);
void addSweepCommand(CLI::App& app);
void addSummaryCommand(CLI::App& app);
void addMethodsCommand(CLI::App& app);

}  // namespace kvwb::cli
