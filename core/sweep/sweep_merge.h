// Merging sweep shards (sweep_shard.h) into their project. Every shard must belong to the project
// and to one spec, else the merge refuses, naming the shard, before writing anything. The jobs the
// shards have committed and the project lacks are appended to the project's run journal in the
// plan's order, one durable record per job as a single-process run writes them, then folded into
// the HDF5 file by one copy-on-write edit: the project ends with the rows a single process would
// have written. Merging again adds nothing; a shard still being written gives only its committed
// jobs, and the jobs no shard has committed are reported, never taken as done. Merges of one
// project are serialised by `P.kvw.merge.lock`. Call from one thread.
//
//   kvwb::core::JobContext quiet;
//   auto report = kvwb::core::mergeShards("p.kvw", {"p.kvw.demo.shard-0-of-2",
//                                                   "p.kvw.demo.shard-1-of-2"}, quiet);
//   if (!report.complete())
//     for (const auto& m : report.missing) std::cerr << m.what << "\n";
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/sweep/sweep_shard.h"

namespace kvwb::core {

struct MergeReport {
  std::string specName, specHash;
  int planned = 0;                    // jobs of the spec on this project
  int alreadyInProject = 0;           // before the merge
  int merged = 0;                     // added by this merge
  std::vector<ShardProgress> shards;  // one per shard file given, in the order given
  struct Missing {
    std::string key, what;  // what: method, parameters, length, and the shard it belongs to
  };
  std::vector<Missing> missing;  // planned jobs neither in the project nor in any shard
  bool complete() const { return missing.empty(); }
};

// Merges `shards` into `project` (see above). Shard files that do not exist are reported as absent
// (their jobs missing); when none exists, or a shard is of another project or spec, throws
// InputError naming it. Cancelling between jobs leaves the jobs appended so far in the journal.
MergeReport mergeShards(const std::filesystem::path& project,
                        const std::vector<std::filesystem::path>& shards, JobContext& ctx);

// Where a sweep stands without merging (merged = 0), for `kvwb-cli status`: of `spec` when given
// (the shards may not exist yet), else of the spec the shards' headers hold.
MergeReport shardReport(const std::filesystem::path& project,
                        const std::vector<std::filesystem::path>& shards,
                        const std::optional<SweepSpec>& spec = std::nullopt);

// The report as text: the sweep, each shard's committed jobs of its planned ones and its state,
// then the missing jobs.
void writeMergeReport(const MergeReport& report, std::ostream& out);

}  // namespace kvwb::core
