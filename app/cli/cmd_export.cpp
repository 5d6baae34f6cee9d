// kvwb-cli export: results tables to CSV (one row per fit).
#include <fstream>
#include <iostream>

#include "app/cli/commands.h"
#include "core/errors.h"
#include "core/project.h"
#include "core/results_csv.h"

namespace kvwb::cli {

void addExportCommand(CLI::App& app) {
  struct Args {
    std::string project, csv, run;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("export", "Export results to CSV (all runs, or one with --run)");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required();
  cmd->add_option("--csv", args->csv, "Output CSV file ('-' for standard output)")->required();
  cmd->add_option("--run", args->run, "Only this run id");
  cmd->callback([args] {
    const auto p = core::Project::open(args->project);
    std::vector<core::RunInfo> runs;
    for (const auto& r : p.runs())
      if (args->run.empty() || r.id == args->run) runs.push_back(r);
    if (!args->run.empty() && runs.empty())
      throw core::InputError(args->project, "no run with id '" + args->run + "'");
    std::ofstream file;
    if (args->csv != "-") {
      file.open(args->csv);
      if (!file) throw core::InputError(args->csv, "cannot write");
    }
    std::ostream& out = args->csv == "-" ? std::cout : file;
    const auto rows = core::writeResultsCsv(p, runs, out);
    if (args->csv != "-") std::cout << "wrote " << rows << " row(s) to " << args->csv << "\n";
  });
}

}  // namespace kvwb::cli
