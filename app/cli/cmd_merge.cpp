// kvwb-cli merge: fold sweep shards (kvwb-cli sweep --shard, a Slurm array's tasks) into their
// project, refusing a shard of another project or spec; idempotent; reports the jobs still missing.
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/sweep/sweep_merge.h"

namespace kvwb::cli {

void addMergeCommand(CLI::App& app) {
  struct Args {
    std::string project;
    std::vector<std::string> shards;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("merge",
                                 "Merge sweep shard files into the project (merging again adds "
                                 "nothing); exit 3 when jobs are missing");
  cmd->add_option("project", args->project, "Project file (.kvw)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("shards", args->shards, "Shard files (P.kvw.<sweep>.shard-I-of-N) of one sweep")
      ->required();
  cmd->callback([args] {
    TerminalProgress progress("merge");
    const auto report =
        core::mergeShards(args->project, {args->shards.begin(), args->shards.end()}, progress);
    core::writeMergeReport(report, std::cout);
    if (!report.complete()) throw CLI::RuntimeError(kIncompleteExit);
  });
}

}  // namespace kvwb::cli
