// kvwb-cli verbs: each adds its subcommand (options, help, callback) to the CLI11 app.
// Callbacks throw core::InputError / core::Cancelled; main() turns them into messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include "core/sweep/sweep_spec.h"

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
void addDecodeCostCommand(CLI::App& app);
void addMergeCommand(CLI::App& app);
void addSlurmCommand(CLI::App& app);
void addStatusCommand(CLI::App& app);
void addQualityCommand(CLI::App& app);
void addDamageCommand(CLI::App& app);
void addKeepMapCommand(CLI::App& app);
void addAllocateCommand(CLI::App& app);
void addPrecisionBoundCommand(CLI::App& app);
// The exit code of merge and sweep --local-shards when shards were merged but jobs are missing.
inline constexpr int kIncompleteExit = 3;
// A spec file or preset name with --set KEY=VALUE overrides applied (sweep and slurm; cmd_sweep.cpp).
core::SweepSpec loadSweepArgument(const std::string& specOrPreset, const std::vector<std::string>& overrides);

}  // namespace kvwb::cli
