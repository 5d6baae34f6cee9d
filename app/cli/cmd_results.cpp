// kvwb-cli export and summary: a project's sweep results, one row per fit (export, CSV) or one
// row per job with means per kind, the seed's tables (summary, markdown or CSV).
#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>

#include "app/cli/commands.h"
#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/reports/results_csv.h"
#include "core/reports/results_summary.h"

namespace kvwb::cli {
namespace {

// The project's runs named in `ids` (all when empty), in the project's order; an unknown id is
// an error naming the project.
std::vector<core::RunInfo> selectRuns(const core::Project& p, const std::string& projectPath,
                                      const std::vector<std::string>& ids) {
  std::vector<core::RunInfo> runs;
  for (const auto& r : p.runs())
    if (ids.empty() || std::find(ids.begin(), ids.end(), r.id) != ids.end()) runs.push_back(r);
  for (const auto& id : ids)
    if (std::none_of(runs.begin(), runs.end(), [&](const auto& r) { return r.id == id; }))
      throw core::InputError(projectPath, "no run with id '" + id + "'");
  return runs;
}

// Calls `write` with standard output ('-') or the opened file `path`.
void writeTo(const std::string& path, const std::function<void(std::ostream&)>& write) {
  if (path == "-") return write(std::cout);
  std::ofstream file(path);
  if (!file) throw core::InputError(path, "cannot write");
  write(file);
}

}  // namespace

void addExportCommand(CLI::App& app) {
  struct Args {
    std::string project, csv;
    std::vector<std::string> runs;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("export", "Export results to CSV, one row per fit (all runs, or --run)");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--csv", args->csv, "Output CSV file ('-' for standard output)")->required();
  cmd->add_option("--run", args->runs, "Only these run ids (repeatable)");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    const auto runs = selectRuns(p, args->project, args->runs);
    std::size_t rows = 0;
    writeTo(args->csv, [&](std::ostream& out) { rows = core::writeResultsCsv(p, runs, out); });
    if (args->csv != "-") std::cout << "wrote " << rows << " row(s) to " << args->csv << "\n";
  });
}

void addSummaryCommand(CLI::App& app) {
  struct Args {
    std::string project, csv;
    std::vector<std::string> runs;
    bool byLayer = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "summary", "Print sweep results per job (means per kind, Δ perplexity, fit and decode time) as a markdown table");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--run", args->runs, "Only these run ids (repeatable)");
  cmd->add_flag("--by-layer", args->byLayer, "One row per job and layer (the layer profile)");
  cmd->add_option("--csv", args->csv, "Write CSV to this file instead ('-' = stdout)");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    const auto runs = selectRuns(p, args->project, args->runs);
    if (runs.empty()) throw core::InputError(args->project, "has no results; run kvwb-cli sweep first");
    const auto summary = core::summarizeResults(
        p, runs, args->byLayer ? core::SummaryGrouping::JobAndLayer : core::SummaryGrouping::Job);
    if (args->csv.empty()) return core::writeSummaryMarkdown(summary, std::cout);
    writeTo(args->csv, [&](std::ostream& out) { core::writeSummaryCsv(summary, out); });
    if (args->csv != "-") std::cout << "wrote " << summary.rows.size() << " row(s) to " << args->csv << "\n";
  });
}

}  // namespace kvwb::cli
