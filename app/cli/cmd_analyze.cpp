// kvwb-cli analyze and report: the KV structure atlas, computed into the project and printed.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/analysis/analysis_report.h"

namespace kvwb::cli {

namespace {
std::vector<std::string> selectCaptures(const core::Project& p, const std::string& only) {
  std::vector<std::string> names;
  for (const auto& c : p.captures())
    if (only.empty() || c.name == only) names.push_back(c.name);
  if (!only.empty() && names.empty()) p.capture(only);  // throws naming the project
  return names;
}
}  // namespace

void addAnalyzeCommand(CLI::App& app) {
  struct Args {
    std::string project, capture, device = "auto";
    bool force = false;
    int maxLag = 64;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("analyze", "Compute the structure atlas of every capture "
                                            "(skips captures whose stored analysis is current)");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--capture,-c", args->capture, "Only this capture");
  cmd->add_option("--device", args->device, "auto, cpu, cuda, cuda:N")->capture_default_str();
  cmd->add_option("--max-lag", args->maxLag, "Autocorrelation lags 1..N")->capture_default_str();
  cmd->add_flag("--force", args->force, "Recompute even when the stored analysis is current");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    for (const auto& name : selectCaptures(p, args->capture)) {
      if (!args->force && core::loadAnalysis(p, name)) {
        std::cout << name << ": analysis is current, skipped (--force recomputes)\n";
        continue;
      }
      core::AnalysisOptions opt;
      opt.device = args->device;
      opt.maxLag = args->maxLag;
      TerminalProgress progress("analyze " + name);
      const auto a = core::analyzeCapture(p, name, opt, progress);
      core::saveAnalysis(p.path(), a);
      std::cout << name << ": " << a.layers * a.heads * a.kinds.size() << " targets analysed on "
                << a.device << " in " << a.seconds << " s\n";
    }
  });
}

void addReportCommand(CLI::App& app) {
  struct Args {
    std::string project, csv;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("report", "Print the structure atlas tables (or --csv per target)");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--csv", args->csv, "Write one row per target to this CSV ('-' = stdout)");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    std::vector<core::LabelledAnalysis> all;
    for (const auto& c : p.captures()) {
      auto a = core::loadAnalysis(p, c.name);
      if (!a) {
        std::cerr << "kvwb-cli: capture '" << c.name << "' has no current analysis; run kvwb-cli analyze\n";
        continue;
      }
      const auto meta = nlohmann::json::parse(c.metadataJson, nullptr, false);
      const auto label = meta.is_object() ? meta.value("prompt_label", c.name) : c.name;
      all.push_back({label, std::move(*a)});
    }
    if (all.empty()) throw core::InputError(args->project, "no analysed capture; run kvwb-cli analyze");
    if (args->csv.empty()) return core::writeReport(all, std::cout);
    if (args->csv == "-") return core::writeScalarCsv(all, std::cout);
    std::ofstream out(args->csv);
    if (!out) throw core::InputError(args->csv, "cannot write");
    core::writeScalarCsv(all, out);
    std::cout << "wrote " << args->csv << "\n";
  });
}

}  // namespace kvwb::cli
