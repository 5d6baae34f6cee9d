// Running a sweep on a Slurm cluster: a job array with one task per shard (sweep_shard.h), and a
// merge job (sweep_merge.h) that depends on the array with `afterany`, so it runs and reports
// failed tasks instead of waiting forever. The scripts are plain sbatch scripts for users to edit
// for their site (modules, account, QOS). Files, in `P.kvw.<sweep>.slurm/` beside the project:
// sweep.json (the spec, --set overrides applied), array.sbatch, merge.sbatch, logs/, and after a
// submit jobs.json (the job ids) for clusterStatus. Calls sbatch, sacct and scontrol from PATH.
// Plain functions; call from one thread (they wait for the Slurm commands).
//
//   auto scripts = kvwb::core::writeSlurmScripts("p.kvw", spec,
//                                                {.tasks = 8, .gpusPerTask = 1, .cli = exe});
//   auto ids = kvwb::core::submitSlurm(scripts);  // ids.arrayJob, ids.mergeJob
//   for (const auto& s : kvwb::core::clusterStatus("p.kvw")) ...
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/sweep/sweep_merge.h"

namespace kvwb::core {

struct SlurmOptions {
  int tasks = 1;                // array tasks = shards
  int gpusPerTask = 0;          // 0: no GPU request (the tasks run on the CPU)
  std::string partition, time;  // empty: the cluster's defaults
  std::filesystem::path cli;    // the kvwb-cli the tasks run (made absolute)
};

struct SlurmScripts {
  std::filesystem::path dir, spec, array, merge;
  int tasks = 1;
};

// Writes the scripts for `spec` on `project` (replacing earlier ones of the same sweep). Throws
// InputError naming the CLI when it does not exist, or the folder when it cannot be written.
SlurmScripts writeSlurmScripts(const std::filesystem::path& project, const SweepSpec& spec,
                               const SlurmOptions& options);

struct SlurmSubmission {
  std::string arrayJob, mergeJob;
};

// Submits the array, then the merge job depending on it, and records the ids in jobs.json.
// Throws InputError naming the script with sbatch's own message when sbatch is missing or fails.
SlurmSubmission submitSlurm(const SlurmScripts& scripts);

// A Slurm job or array task as the scheduler reports it.
struct SlurmJobState {
  std::string id;      // "12_3" for task 3 of array 12
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ... ("" when unknown)
  std::string detail;  // sacct's exit code or scontrol's reason
};

// Where one sweep of a project stands: its shards' progress and, when submitted by submitSlurm,
// its Slurm tasks.
struct SweepClusterStatus {
  std::string sweep;
  MergeReport progress;                       // shards: committed of planned; missing jobs
  std::optional<SlurmSubmission> submission;  // from jobs.json
  std::map<int, SlurmJobState> tasks;         // array task index -> state
  std::optional<SlurmJobState> merge;
  std::string schedulerNote;  // where the states came from, or why there are none
};

// Every sweep with shard files or Slurm scripts beside `project`, by name.
std::vector<SweepClusterStatus> clusterStatus(const std::filesystem::path& project);

// "3 RUNNING, 1 PENDING · merge PENDING": the tasks' states counted, then the merge job's.
std::string taskStatesText(const SweepClusterStatus& status);

// Whether the sweep has ended: its merge job is in a final state (or, once the scheduler has
// forgotten it, every planned job is in the project).
bool clusterSweepEnded(const SweepClusterStatus& status);

// Follows `sweep` of `project` until it has ended, checking every `poll`: reports the share of
// its planned jobs committed (in the project or a shard) and the tasks' states. Returns the last
// status; throws InputError when the project has no such sweep. Cancelling stops following only:
// the Slurm jobs keep running.
SweepClusterStatus followClusterSweep(const std::filesystem::path& project, const std::string& sweep,
                                      JobContext& ctx, std::chrono::milliseconds poll);

}  // namespace kvwb::core
