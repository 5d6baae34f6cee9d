// kvwb-cli status: where a project's sharded sweeps stand: each shard's committed jobs of its
// planned ones and, for arrays submitted by kvwb-cli slurm --submit, each task's Slurm state
// (from sacct, else scontrol: "not known" once Slurm has forgotten an ended job).
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/sweep/slurm.h"

namespace kvwb::cli {
namespace {

std::string padded(std::string s, std::size_t width) {
  return s.size() < width ? s.append(width - s.size(), ' ') : s + " ";
}

std::string stateText(const core::SlurmJobState& s) {
  if (s.state.empty()) return "not known";
  return s.state + (s.detail.empty() ? "" : " (" + s.detail + ")");
}

constexpr std::chrono::seconds kFollowPoll(5);

}  // namespace

void addStatusCommand(CLI::App& app) {
  auto project = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "status",
      "Show the project's sharded sweeps: each shard's committed jobs and each Slurm task's state");
  cmd->add_option("project", *project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  auto follow = std::make_shared<std::string>();
  cmd->add_option("--follow", *follow,
                  "Follow this sweep until its merge job has ended (Ctrl-C stops following, not "
                  "the Slurm jobs), then show the status");
  cmd->callback([project, follow] {
    if (!follow->empty()) {
      TerminalProgress progress("sweep " + *follow + " on the cluster");
      core::followClusterSweep(*project, *follow, progress, kFollowPoll);
    }
    const auto sweeps = core::clusterStatus(*project);
    if (sweeps.empty()) std::cout << "no shard files or Slurm scripts beside " << *project << "\n";
    for (const auto& s : sweeps) {
      const auto& p = s.progress;
      std::cout << "sweep '" << s.sweep << "' (spec " << p.specHash << "): " << p.planned
                << " job(s) planned, " << p.alreadyInProject << " in the project, "
                << p.planned - static_cast<int>(p.missing.size()) << " committed\n";
      if (s.submission)
        std::cout << "  Slurm array job " << s.submission->arrayJob << ", merge job "
                  << s.submission->mergeJob << "\n";
      if (!s.schedulerNote.empty()) std::cout << "  " << s.schedulerNote << "\n";
      for (const auto& shard : p.shards) {
        const auto task = s.tasks.find(shard.shard.index);
        std::cout << "  shard " << padded(shard.shard.text(), 6)
                  << (s.submission
                          ? "task " +
                                padded(s.submission->arrayJob + "_" +
                                           std::to_string(shard.shard.index),
                                       10) +
                                padded(stateText(task != s.tasks.end() ? task->second
                                                                       : core::SlurmJobState{}),
                                       22)
                          : "")
                  << padded(shard.state, 10)
                  << padded(std::to_string(shard.committed) + "/" + std::to_string(shard.planned) +
                                " job(s)",
                            14)
                  << shard.file.filename().string() << "\n";
      }
      if (s.submission)
        std::cout << "  merge job " << padded(s.submission->mergeJob, 10)
                  << stateText(s.merge.value_or(core::SlurmJobState{})) << "\n";
    }
  });
}

}  // namespace kvwb::cli
