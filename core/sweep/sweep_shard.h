// Sweep shards: the share of a sweep's jobs one process runs (a Slurm array task, one GPU of a
// machine) into its own file beside the project, never into the project. Job `key` belongs to
// shard I of N when stableHash(key) % N == I (core/base/stable_hash.h): every task knows its jobs
// without talking to the others. A shard file (`P.kvw.<sweep>.shard-I-of-N`) is in the run
// journal's format (run_journal.h: framed, checksummed, fsynced records); its first record is a
// header naming the sweep (the spec and its hash) and the project (the fingerprints of the
// captures the sweep reads), so a merge can refuse a shard of another project or spec. Plain
// functions over files; any thread, one writer per shard file.
//
//   const auto shard = kvwb::core::parseShardId("1/3");
//   kvwb::core::runSweep("p.kvw", spec, ctx, shard);  // writes p.kvw.demo.shard-1-of-3
//   auto contents = kvwb::core::readShard("p.kvw.demo.shard-1-of-3");
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/sweep/sweep_plan.h"

namespace kvwb::core {

struct ShardId {
  int index = 0, count = 1;  // shard `index` of `count`, 0 <= index < count
  std::string text() const;  // "I/N"
};

// "I/N" with 0 <= I < N; throws std::invalid_argument saying what is expected.
ShardId parseShardId(const std::string& text);
bool inShard(const std::string& jobKey, ShardId shard);
std::vector<SweepJob> shardJobs(const std::vector<SweepJob>& jobs, ShardId shard);

// The shard file of `spec` beside `project`: `P.kvw.<spec name>.shard-I-of-N`.
std::filesystem::path shardPath(const std::filesystem::path& project, const std::string& specName,
                                ShardId shard);
// The shard a file name ends with (".shard-I-of-N"), or nullopt.
std::optional<ShardId> shardIdFromPath(const std::filesystem::path& file);
// Every shard file beside `project` (any sweep, any N), sorted by name.
std::vector<std::filesystem::path> findShardFiles(const std::filesystem::path& project);

// 16 hex digits of the stable hash of the spec as given (with --set overrides applied).
std::string specHash(const SweepSpec& spec);

// A shard file's header record.
struct ShardHeader {
  ShardId shard;
  std::string specName, specHash;
  nlohmann::json spec;                              // SweepSpec::source
  std::map<std::string, std::string> fingerprints;  // capture -> captureFingerprint
  std::string project;                              // the project's path when written (shown only)
};

// What a shard file has committed, read without a lock (a shard being written shows only its
// committed records).
struct ShardContents {
  std::filesystem::path file;
  bool exists = false;
  bool hasHeader = false;
  ShardHeader header;
  std::vector<RunInfo> runs;                  // run records, in order
  std::map<std::string, std::string> status;  // run id -> last status ("running" before any)
  // job key -> its run id and rows (the target rows and the aggregate row of one record), in
  // commit order.
  struct Job {
    std::string runId;
    std::vector<ResultRow> rows;
  };
  std::vector<std::string> order;
  std::map<std::string, Job> jobs;
  std::string state() const;  // "absent", "running", "finished", "cancelled" or "failed"
};

// The most telling of several run statuses: failed, cancelled, running, finished (empty: finished).
std::string mostTellingStatus(const std::vector<std::string>& statuses);

// Throws InputError naming the file when it holds records but no shard header.
ShardContents readShard(const std::filesystem::path& file);

// Throws InputError naming the shard file when its header is of another spec than `spec` (by
// hash) or of another project (a capture missing or with another fingerprint).
void checkShardMatches(const ShardContents& shard, const Project& project, const SweepSpec& spec);

// The spec a shard header holds, parsed and validated (errors name the shard file).
SweepSpec shardSpec(const ShardContents& shard);

// What a shard's run starts from (see runSweep): its jobs; the keys committed in the shard file;
// the runs the file records. Creates the file with its header, or checks an existing one's.
struct ShardStart {
  std::filesystem::path file;
  std::vector<SweepJob> jobs;
  std::set<std::string> committed, runs;
};
ShardStart startShard(const Project& project, const SweepSpec& spec, ShardId shard,
                      const std::vector<SweepJob>& allJobs);

// One shard's progress on a planned sweep: its jobs committed (in the shard file or already in
// the project) out of the jobs the plan assigns to it.
struct ShardProgress {
  ShardId shard;
  std::filesystem::path file;
  std::string state;  // ShardContents::state()
  int planned = 0, committed = 0;
};
ShardProgress shardProgress(const ShardContents& shard, ShardId id,
                            const std::vector<SweepJob>& jobs,
                            const std::set<std::string>& inProject);

// The job keys committed to the project's runs of these jobs (the HDF5 tables and its journal).
std::set<std::string> committedJobKeys(const Project& project, const std::vector<SweepJob>& jobs);

}  // namespace kvwb::core
