// The sweep runner: resume bookkeeping, progress and the commits of each job (sweep_job.h runs it).
#include "core/sweep/sweep_runner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "core/base/errors.h"
#include "core/base/file_lock.h"
#include "core/project/run_journal.h"
#include "core/project/time_stamp.h"
#include "core/reports/results_summary.h"  // paramsText
#include "core/sweep/sweep_job.h"
#include "core/sweep/sweep_shard.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

// Records the runs of these jobs that are not `recorded` yet and marks the others running again;
// returns every run id.
std::vector<std::string> beginRuns(const std::vector<SweepJob>& jobs, const SweepSpec& spec, const std::string& device,
                                   const std::set<std::string>& recorded, RunJournal& journal) {
  std::vector<std::string> ids;
  for (const auto& job : jobs) {
    if (std::find(ids.begin(), ids.end(), job.runId) != ids.end()) continue;
    ids.push_back(job.runId);
    if (recorded.count(job.runId)) {
      journal.setStatus(job.runId, "running");
      continue;
    }
    RunInfo run;
    run.id = job.runId;
    run.method = job.method;
    run.capture = job.capture;
    for (const auto& m : spec.methods)
      if (m.method == job.method) run.paramsJson = nlohmann::json{{"params", m.params}, {"grid", m.grid}, {"spec", spec.source}}.dump();
    run.created = utcTimestamp();
    run.device = device;
    run.softwareVersion = KVWB_VERSION;
    journal.beginRun(run);
  }
  return ids;
}

}  // namespace

SweepSummary runSweep(const std::filesystem::path& projectPath, const SweepSpec& spec, JobContext& ctx,
                      std::optional<ShardId> shard) {
  const auto project = Project::open(projectPath);
  auto jobs = planSweep(project, spec);
  SweepSummary summary;
  summary.device = gpu::resolveDevice(spec.device);
  // One sweep at a time writes to a project's journal (or to one shard file): a second is refused
  // before it records anything, rather than running every job again beside the first.
  const auto written = shard ? shardPath(projectPath, spec.name, *shard) : projectPath;
  const std::filesystem::path lockFile = written.string() + ".sweep.lock";
  const auto sweepLock = FileLock::tryLock(lockFile);
  if (!sweepLock)
    throw InputError(written, "another sweep is running on it (it holds " + lockFile.filename().string() +
                                  "); wait for it to end or cancel it");
  auto done = committedJobKeys(project, jobs);
  std::set<std::string> recorded;  // the runs the output already records
  if (shard) {
    auto start = startShard(project, spec, *shard, jobs);
    jobs = std::move(start.jobs);
    done.insert(start.committed.begin(), start.committed.end());
    recorded = std::move(start.runs);
    summary.output = start.file;
  } else {
    for (const auto& run : project.runs()) recorded.insert(run.id);
  }
  summary.jobs = static_cast<int>(jobs.size());
  auto journal = shard ? RunJournal::atFile(summary.output) : RunJournal(projectPath);
  summary.runIds = beginRuns(jobs, spec, summary.device, recorded, journal);

  // Progress is the share of target fits done: each job weighs its targets (layers x heads x kinds),
  // once more per quality window.
  std::vector<double> fits(jobs.size(), 0.0);
  double totalFits = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (done.count(jobs[j].key)) continue;
    fits[j] = targetFits(spec, project.capture(jobs[j].capture)) * jobProgressWeight(jobs[j]);
    totalFits += fits[j];
  }
  double fitsDone = 0;
  int jobNumber = 0;
  const auto jobsToRun = std::count_if(fits.begin(), fits.end(), [](double f) { return f > 0; });

  std::map<std::string, CaptureInputs> captures;
  std::map<std::string, std::unique_ptr<Compressor>> compressors;
  const auto setStatus = [&](const std::string& status) {
    for (const auto& id : summary.runIds) journal.setStatus(id, status);
  };
  try {
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const auto& job = jobs[j];
      if (done.count(job.key)) {
        ++summary.skipped;
        continue;
      }
      ctx.checkCancelled();
      auto& capture = captures[job.capture];
      if (!capture.reader) capture = loadCapture(project, job.capture, spec, summary.device, !shard);
      auto& compressor = compressors[job.method];
      if (!compressor) compressor = makeCompressor(job.method);
      const auto title = "job " + std::to_string(++jobNumber) + "/" + std::to_string(jobsToRun) + " · " + job.method +
                         " " + paramsText(job.params.dump()) + " · n=" + std::to_string(job.seqLength) + " · ";
      SubJobContext jobCtx(ctx, fitsDone / totalFits, fits[j] / totalFits, title);
      const auto result = runJob(job, spec, capture, *compressor, summary.device, jobCtx);
      if (!result.infeasible.empty())
        summary.infeasible.push_back(job.method + " " + job.params.dump() + ": " + result.infeasible);
      else
        ctx.checkCancelled();  // a cancel during the fit drops this job rather than committing it
      journal.appendBatch(job.runId, result.rows);
      ++summary.done;
      fitsDone += fits[j];
      ctx.report(fitsDone / totalFits, title + "committed");
    }
  } catch (const Cancelled&) {
    setStatus("cancelled");
    throw;
  } catch (...) {
    setStatus("failed");
    throw;
  }
  setStatus("finished");
  ctx.report(1.0, "sweep finished");
  return summary;
}

}  // namespace kvwb::core
