// Merging sweep shards into their project (see sweep_merge.h).
#include "core/sweep/sweep_merge.h"

#include <algorithm>
#include <set>

#include "core/base/errors.h"
#include "core/base/stable_hash.h"
#include "core/project/run_journal.h"
#include "core/reports/results_summary.h"  // paramsText

namespace kvwb::core {
namespace {

// The shards read and checked against the project, and the plan of their spec.
struct Loaded {
  Project project;
  SweepSpec spec;
  std::vector<SweepJob> jobs;
  std::vector<ShardContents> shards;
  std::vector<ShardId> ids;  // per shard: from its header, else from its file name
};

Loaded load(const std::filesystem::path& projectPath,
            const std::vector<std::filesystem::path>& files, const std::optional<SweepSpec>& spec) {
  Loaded l{Project::open(projectPath), {}, {}, {}, {}};
  for (const auto& file : files) {
    l.shards.push_back(readShard(file));
    const auto& s = l.shards.back();
    const auto id = s.hasHeader ? std::optional<ShardId>(s.header.shard) : shardIdFromPath(file);
    if (!id) throw InputError(file, s.exists ? "is an empty file, not a sweep shard" : "not found");
    l.ids.push_back(*id);
  }
  const auto first = std::find_if(l.shards.begin(), l.shards.end(),
                                  [](const ShardContents& s) { return s.hasHeader; });
  if (!spec && first == l.shards.end())
    throw InputError(files.empty() ? projectPath : files.front(),
                     "no shard file given exists yet (have the sweep's tasks started?)");
  l.spec = spec ? *spec : shardSpec(*first);
  for (const auto& s : l.shards)
    if (s.hasHeader) checkShardMatches(s, l.project, l.spec);
  l.jobs = planSweep(l.project, l.spec);
  return l;
}

const ShardContents::Job* findJob(const Loaded& l, const std::string& key) {
  for (const auto& s : l.shards)
    if (const auto it = s.jobs.find(key); it != s.jobs.end()) return &it->second;
  return nullptr;
}

std::string describe(const SweepJob& job) {
  return job.runId + " " + paramsText(job.params.dump()) + " n=" + std::to_string(job.seqLength);
}

MergeReport report(const Loaded& l, const std::set<std::string>& inProject) {
  MergeReport r;
  r.specName = l.spec.name;
  r.specHash = specHash(l.spec);
  r.planned = static_cast<int>(l.jobs.size());
  for (const auto& job : l.jobs) r.alreadyInProject += inProject.count(job.key) > 0;
  for (std::size_t i = 0; i < l.shards.size(); ++i)
    r.shards.push_back(shardProgress(l.shards[i], l.ids[i], l.jobs, inProject));
  // A missing job is blamed on its shard under the count most shards were run with.
  const int count = l.ids.empty() ? 1 : l.ids.front().count;
  for (const auto& job : l.jobs) {
    if (inProject.count(job.key) || findJob(l, job.key)) continue;
    const ShardId owner{static_cast<int>(stableHash(job.key) % static_cast<std::uint64_t>(count)),
                        count};
    std::string where = "shard " + owner.text() + " not given";
    for (const auto& p : r.shards)
      if (p.shard.index == owner.index && p.shard.count == owner.count)
        where = "shard " + owner.text() + " " + p.state + " (" + p.file.filename().string() + ")";
    r.missing.push_back({job.key, describe(job) + ": " + where});
  }
  return r;
}

}  // namespace

MergeReport shardReport(const std::filesystem::path& project,
                        const std::vector<std::filesystem::path>& shards,
                        const std::optional<SweepSpec>& spec) {
  const auto l = load(project, shards, spec);
  return report(l, committedJobKeys(l.project, l.jobs));
}

MergeReport mergeShards(const std::filesystem::path& projectPath,
                        const std::vector<std::filesystem::path>& files, JobContext& ctx) {
  ProjectLock mergeLock(projectPath.string() + ".merge");  // one merge of a project at a time
  const auto l = load(projectPath, files, std::nullopt);
  const auto inProject = committedJobKeys(l.project, l.jobs);
  auto r = report(l, inProject);

  RunJournal journal(projectPath);
  bool wrote = false;                         // to the journal: then fold it
  std::map<std::string, std::string> status;  // run id -> status now
  for (const auto& run : l.project.runs()) status[run.id] = run.status;
  // The runs the project lacks, in the order a single process creates them.
  for (const auto& job : l.jobs) {
    if (status.count(job.runId)) continue;
    for (const auto& s : l.shards) {
      const auto it = std::find_if(s.runs.begin(), s.runs.end(),
                                   [&](const RunInfo& run) { return run.id == job.runId; });
      if (it == s.runs.end()) continue;
      journal.beginRun(*it);
      wrote = true;
      status[job.runId] = it->status;
      break;
    }
  }
  int toMerge = 0;
  for (const auto& job : l.jobs) toMerge += !inProject.count(job.key) && findJob(l, job.key);
  for (const auto& job : l.jobs) {
    if (inProject.count(job.key)) continue;
    const auto* found = findJob(l, job.key);
    if (!found) continue;
    ctx.checkCancelled();
    journal.appendBatch(job.runId, found->rows);
    wrote = true;
    ++r.merged;
    ctx.report(static_cast<double>(r.merged) / (toMerge + 1), "merged " + describe(job));
  }
  // Each run: finished once all its jobs are in, else the most telling status of its shards.
  std::set<std::string> missingKeys;
  for (const auto& m : r.missing) missingKeys.insert(m.key);
  for (const auto& [runId, current] : status) {
    bool planned = false, complete = true;
    for (const auto& job : l.jobs)
      if (job.runId == runId) {
        planned = true;
        complete = complete && !missingKeys.count(job.key);
      }
    if (!planned) continue;
    std::vector<std::string> shardStatus = {"running"};
    for (const auto& s : l.shards)
      if (const auto it = s.status.find(runId); it != s.status.end())
        shardStatus.push_back(it->second);
    const auto next = complete ? std::string("finished") : mostTellingStatus(shardStatus);
    if (next == current) continue;
    journal.setStatus(runId, next);
    wrote = true;
  }
  if (wrote) {
    ctx.report(static_cast<double>(toMerge) / (toMerge + 1),
               "folding into " + projectPath.filename().string());
    ProjectEdit fold(projectPath);  // the journal, folded by one copy-on-write edit
    fold.commit();
  }
  ctx.report(1.0, "merged");
  return r;
}

void writeMergeReport(const MergeReport& r, std::ostream& out) {
  const auto padded = [](std::string s, std::size_t width) {
    return s.size() < width ? s.append(width - s.size(), ' ') : s + " ";
  };
  out << "sweep '" << r.specName << "' (spec " << r.specHash << "): " << r.planned
      << " job(s) planned, " << r.alreadyInProject << " were in the project, " << r.merged
      << " merged\n";
  for (const auto& s : r.shards)
    out << "  shard " << padded(s.shard.text(), 6) << padded(s.state, 10)
        << padded(std::to_string(s.committed) + "/" + std::to_string(s.planned) + " job(s)", 14)
        << s.file.filename().string() << "\n";
  if (r.complete()) return;
  out << r.missing.size() << " job(s) missing (rerun their shards, then merge again):\n";
  for (const auto& m : r.missing) out << "  " << m.key << " " << m.what << "\n";
}

}  // namespace kvwb::core
