// kvwb-cli slurm: write (and with --submit, submit) the sbatch scripts that run a sweep as a Slurm
// job array of shards plus a merge job (core/sweep/slurm.h).
#include <filesystem>
#include <iostream>

#include "app/cli/commands.h"
#include "core/sweep/slurm.h"

namespace kvwb::cli {

void addSlurmCommand(CLI::App& app) {
  struct Args {
    std::string project, spec, cli;
    std::vector<std::string> overrides;
    core::SlurmOptions options;
    bool submit = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("slurm",
                                 "Write sbatch scripts running a sweep as a Slurm job array of "
                                 "shards plus a merge job (--submit: sbatch them)");
  cmd->add_option("project", args->project, "Project file (.kvw) on a filesystem the nodes share")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("spec", args->spec, "Sweep spec JSON or preset name (as for kvwb-cli sweep)")
      ->required();
  cmd->add_option("--tasks", args->options.tasks, "Array tasks (shards)")
      ->required()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--partition", args->options.partition,
                  "Slurm partition (default: the cluster's)");
  cmd->add_option("--gpus-per-task", args->options.gpusPerTask,
                  "GPUs per task (default 0: CPU tasks)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--time", args->options.time,
                  "Time limit per task, e.g. 04:00:00 (default: the partition's)");
  cmd->add_option("--cli", args->cli,
                  "The kvwb-cli the tasks run (default: this one, by its absolute path)");
  cmd->add_option("--set", args->overrides, "KEY=VALUE override, as for kvwb-cli sweep");
  cmd->add_flag("--submit", args->submit,
                "Submit the array and the merge job with sbatch; print their ids");
  cmd->callback([args] {
    const auto spec = loadSweepArgument(args->spec, args->overrides);
    args->options.cli = args->cli.empty() ? std::filesystem::read_symlink("/proc/self/exe")
                                          : std::filesystem::path(args->cli);
    const auto s = core::writeSlurmScripts(args->project, spec, args->options);
    std::cout << "wrote " << s.array.string() << " (" << s.tasks << " tasks) and "
              << s.merge.string() << "\n";
    if (!args->submit) {
      std::cout << "submit: jid=$(sbatch --parsable " << s.array.string()
                << ") && sbatch --dependency=afterany:${jid%%;*} " << s.merge.string() << "\n";
      return;
    }
    const auto ids = core::submitSlurm(s);
    std::cout << "submitted array job " << ids.arrayJob << " and merge job " << ids.mergeJob
              << "; follow with kvwb-cli status " << args->project << "\n";
  });
}

}  // namespace kvwb::cli
