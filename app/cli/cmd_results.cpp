// kvwb-cli export and summary: a project's sweep results, one row per fit (export, CSV) or one
// row per job with means per kind, the seed's tables (summary, markdown or CSV), or the best job
// of each method family at a ratio (summary --at-ratio, core::bestPerFamily).
#include <algorithm>
#include <fstream>
#include <functional>
#include <iostream>

#include "app/cli/commands.h"
#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/project/fit_metric_table.h"
#include "core/reports/family_best.h"
#include "core/reports/results_csv.h"
#include "core/alloc/allocation_table.h"  // selectRuns
#include "core/reports/results_summary.h"

namespace kvwb::cli {
namespace {

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
  cmd->add_option("--run", args->runs, "Only these runs: a run id or a sweep name (all its runs); repeatable");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    const auto runs = core::selectRuns(p.runs(), args->runs, args->project);
    std::size_t rows = 0;
    writeTo(args->csv, [&](std::ostream& out) { rows = core::writeResultsCsv(p, runs, out); });
    if (args->csv != "-") std::cout << "wrote " << rows << " row(s) to " << args->csv << "\n";
  });
}

// --by's check: a metric column with a better direction ("" when `column` is one).
std::string checkByMetric(const std::string& column) {
  const auto* metric = core::findFitMetric(column);
  if (metric && metric->better != core::Better::Neither) return "";
  std::string names;
  for (const auto& m : core::fitMetrics())
    if (m.better != core::Better::Neither)
      names += (names.empty() ? "" : ", ") + std::string(m.column);
  return "'" + column + "' is not a metric to choose by; one of " + names;
}

void addSummaryCommand(CLI::App& app) {
  struct Args {
    std::string project, csv, by;
    std::vector<std::string> runs;
    bool byLayer = false;
    double atRatio = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "summary", "Print sweep results per job (means per kind, Δ perplexity, fit and decode time) as a markdown table");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--run", args->runs, "Only these runs: a run id or a sweep name (all its runs); repeatable");
  cmd->add_flag("--by-layer", args->byLayer, "One row per job and layer (the layer profile)");
  auto* csv = cmd->add_option("--csv", args->csv, "Write CSV to this file instead ('-' = stdout)");
  auto* atRatio =
      cmd->add_option("--at-ratio", args->atRatio,
                      "Best job of each method family (per capture, length and K/V targets) "
                      "whose ratio is at least R, with every metric")
          ->check(CLI::Range(1e-3, 1e6))
          ->excludes("--by-layer")
          ->excludes(csv);
  cmd->add_option("--by", args->by,
                  "With --at-ratio: the metric that picks the best (default: kld where measured, "
                  "else attn_kl, else rel_err)")
      ->check(CLI::Validator(checkByMetric, "METRIC"))
      ->needs(atRatio);
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    const auto runs = core::selectRuns(p.runs(), args->runs, args->project);
    if (runs.empty()) throw core::InputError(args->project, "has no results; run kvwb-cli sweep first");
    const auto summary = core::summarizeResults(
        p, runs, args->byLayer ? core::SummaryGrouping::JobAndLayer : core::SummaryGrouping::Job);
    if (args->atRatio > 0) {
      const auto by = args->by.empty() ? std::nullopt
                                       : std::optional(core::findFitMetric(args->by)->id);
      return core::writeFamilyBestMarkdown(core::bestPerFamily(summary, args->atRatio, by),
                                           std::cout);
    }
    if (args->csv.empty()) return core::writeSummaryMarkdown(summary, std::cout);
    writeTo(args->csv, [&](std::ostream& out) { core::writeSummaryCsv(summary, out); });
    if (args->csv != "-") std::cout << "wrote " << summary.rows.size() << " row(s) to " << args->csv << "\n";
  });
}

}  // namespace kvwb::cli
