// kvwb-cli sweep: run a compression sweep spec (or a preset) on a project, resumably.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/base/resource_paths.h"
#include "core/sweep/sweep.h"

namespace kvwb::cli {

void addSweepCommand(CLI::App& app) {
  struct Args {
    std::string project, spec, device;
    std::vector<std::string> overrides;
    bool dryRun = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "sweep", "Run a compression sweep (JSON spec or preset name); re-running resumes");
  cmd->add_option("project", args->project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->add_option("spec", args->spec, "Sweep spec JSON, or a preset: demo, siren-baseline, svd-ratios, "
                                      "seq-scaling, layer-profile, multi-prompt")->required();
  cmd->add_option("--device", args->device, "Override the spec's device (auto, cpu, cuda, cuda:N)");
  cmd->add_option("--set", args->overrides,
                  "KEY=VALUE (JSON value) for every method that has KEY in its params or grid, "
                  "e.g. --set epochs=300 for a quicker SIREN sweep");
  cmd->add_flag("--dry-run", args->dryRun, "List the jobs without running them");
  cmd->callback([args] {
    const auto file = core::findSweepSpec(args->spec, core::executableDirectory());
    auto spec = core::loadSweepSpec(file);
    for (const auto& o : args->overrides) {
      const auto eq = o.find('=');
      if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("--set", "expected KEY=VALUE, got '" + o + "'");
      const auto key = o.substr(0, eq);
      auto value = nlohmann::json::parse(o.substr(eq + 1), nullptr, false);
      if (value.is_discarded()) value = o.substr(eq + 1);  // a bare word is a string
      core::overrideSweepParam(spec, key, value);
    }
    if (!args->device.empty()) spec.device = args->device;
    if (args->dryRun) {
      const auto jobs = core::planSweep(core::Project::open(args->project), spec);
      for (const auto& j : jobs)
        std::cout << j.runId << "  " << j.params.dump() << "  seq_len=" << j.seqLength << "\n";
      std::cout << jobs.size() << " job(s)\n";
      return;
    }
    TerminalProgress progress("sweep " + spec.name);
    const auto s = core::runSweep(args->project, spec, progress);
    std::cout << "sweep '" << spec.name << "' on " << s.device << ": " << s.done << " job(s) run, "
              << s.skipped << " already done, " << s.jobs << " in all; runs:";
    for (const auto& id : s.runIds) std::cout << " " << id;
    std::cout << "\n";
    for (const auto& why : s.infeasible) std::cout << "  infeasible, recorded and skipped: " << why << "\n";
  });
}

}  // namespace kvwb::cli
