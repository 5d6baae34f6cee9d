// Running a sweep on a project: the planned jobs not yet committed, one at a time (each job's
// targets fitted as one batch per kind), each measured and committed to the project's run journal
// in one durable record with its aggregate row. Re-running the same spec resumes. Runs on the CPU
// or CUDA (LibTorch). Call from one thread. With a shard (sweep_shard.h), only that shard's jobs,
// committed to the shard file beside the project instead.
//
//   auto spec = kvwb::core::loadSweepSpec("resources/presets/demo.json");
//   auto summary = kvwb::core::runSweep("datasets/demo.kvw", spec, ctx);
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/sweep/sweep_plan.h"
#include "core/sweep/sweep_shard.h"

namespace kvwb::core {

struct SweepSummary {
  int jobs = 0, skipped = 0, done = 0;
  std::vector<std::string> runIds;
  std::string device;
  std::filesystem::path output;  // the shard file written; empty: the project's journal
  // Jobs whose parameters this capture cannot satisfy (e.g. a compression ratio beyond what a
  // head_dim of 8 allows): recorded as one aggregate row with params.infeasible, not run.
  std::vector<std::string> infeasible;
};

// Runs the jobs not yet in the project. On cancel, the job in flight is dropped and every
// finished job stays committed (runs marked cancelled); a later call resumes. Any other error
// marks the runs failed and propagates. With `shard`, runs that shard's jobs not yet committed to
// the project or the shard file, into the shard file (created with its header; a shard file of
// another spec or project is refused, naming it).
SweepSummary runSweep(const std::filesystem::path& project, const SweepSpec& spec, JobContext& ctx,
                      std::optional<ShardId> shard = std::nullopt);

}  // namespace kvwb::core
