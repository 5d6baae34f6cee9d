// The sweep runner: resume bookkeeping, per-capture inputs (targets, token ids, the model for Δ
// perplexity), each job's fits and measurements, its aggregate row, and the commits.
#include "core/sweep/sweep_runner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "core/capture/capture_extract.h"
#include "core/model/llama_model.h"
#include "core/project/run_journal.h"
#include "core/project/time_stamp.h"
#include "core/reports/results_summary.h"  // paramsText
#include "core/sweep/fit_and_measure.h"
#include "core/sweep/sweep_shard.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

// What a sweep reuses across the jobs of one capture.
struct CaptureInputs {
  std::unique_ptr<TargetReader> reader;
  std::vector<std::int32_t> tokenIds;
  std::unique_ptr<LlamaModel> model;  // for Δ perplexity; null when the capture has no model
  std::string modelProblem;
};

CaptureInputs loadCapture(const Project& project, const std::string& capture, const SweepSpec& spec,
                          const std::string& device) {
  CaptureInputs in;
  in.reader = std::make_unique<TargetReader>(project, capture);
  in.tokenIds = project.tokenIds(capture);
  if (spec.deltaPpl == "none") return in;
  const auto model = captureModelPath(project.path(), in.reader->info().metadataJson);
  if (model.empty() || in.tokenIds.empty())
    in.modelProblem = "capture has no model or token ids (imported dump)";
  else if (!std::filesystem::exists(model))
    in.modelProblem = "model " + model.string() + " not found";
  else
    in.model = std::make_unique<LlamaModel>(model, LoadOptions{.device = device});
  return in;
}

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
      if (m.method == job.method) run.paramsJson = nlohmann::json{{"params", m.params}, {"grid", m.grid}}.dump();
    run.created = utcTimestamp();
    run.device = device;
    run.softwareVersion = KVWB_VERSION;
    journal.beginRun(run);
  }
  return ids;
}

// The row standing for a whole job (layer = head = -1, kind "all"), with `extra` parameters.
ResultRow jobRow(const SweepJob& job, const nlohmann::json& extra) {
  ResultRow row;
  row.layer = row.head = -1;
  row.kind = "all";
  auto params = job.params;
  params["seq_len"] = job.seqLength;
  params["job"] = job.key;
  params.update(extra);
  row.paramsJson = params.dump();
  return row;
}

// The aggregate row of a job's target rows, each metric as its table row says (Sum, Mean);
// of the Job metrics, the ratio of `rawBytes` (raw float16 bytes of every target) to the summed
// bytes, the rest left for the caller.
ResultRow aggregateRow(const SweepJob& job, const std::vector<ResultRow>& rows, double rawBytes,
                       const nlohmann::json& extra, const std::string& device) {
  auto all = jobRow(job, extra);
  for (const auto& m : fitMetrics()) {
    if (m.aggregate == Aggregate::Job) continue;
    double sum = 0;
    for (const auto& r : rows) sum += r[m.id];
    all[m.id] = m.aggregate == Aggregate::Sum ? sum : sum / static_cast<double>(rows.size());
  }
  all[FitMetric::Ratio] = rawBytes / all[FitMetric::Bytes];
  all.device = rows.empty() ? device : rows.front().device;
  return all;
}

// A job's rows: every target per kind, then the aggregate; or one row saying why it is infeasible.
struct JobResult {
  std::vector<ResultRow> rows;
  std::string infeasible;
};

// `ctx` is the job's part of the sweep's progress: each kind's fit gets an equal share of it.
JobResult runJob(const SweepJob& job, const SweepSpec& spec, CaptureInputs& capture, Compressor& compressor,
                 const std::string& device, JobContext& ctx) {
  const auto& info = capture.reader->info();
  const int N = job.seqLength;
  std::vector<int> layers = spec.layers, heads = spec.heads;
  if (layers.empty()) for (int l = 0; l < info.layers; ++l) layers.push_back(l);
  if (heads.empty()) for (int h = 0; h < info.kvHeads; ++h) heads.push_back(h);
  std::vector<TargetRef> refs;
  for (int l : layers)
    for (int h : heads) refs.push_back({l, h});
  const nlohmann::json extra = {{"seq_len", N}, {"job", job.key}};
  const auto scoredIds = [&] {
    return std::vector<int>(capture.tokenIds.begin(), capture.tokenIds.begin() + N + spec.pplTokens);
  };

  JobResult result;
  std::vector<CacheSubstitution> substitutions;
  const double kinds = static_cast<double>(spec.kinds.size());
  for (std::size_t k = 0; k < spec.kinds.size(); ++k) {
    const auto& kind = spec.kinds[k];
    const auto batch = buildKindBatch(*capture.reader, refs, kind, N);
    SubJobContext kindCtx(ctx, static_cast<double>(k) / kinds, 1 / kinds, kind + " targets: ");
    MeasuredFit measured;
    try {
      measured = fitAndMeasure(compressor, batch, job.params, sweepJobSeed(spec, job), spec.attentionMetrics,
                               device, kindCtx);
    } catch (const Infeasible& e) {
      result.rows = {jobRow(job, {{"infeasible", e.what()}})};
      result.rows.front().device = device;
      result.infeasible = e.what();
      return result;
    }
    auto rows = targetRows(measured, batch, job.params, extra);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!capture.model) continue;
      CacheSubstitution s{refs[i].layer, refs[i].head, kind == "K", measured.fit.targets[i].reconstruction};
      if (spec.deltaPpl == "per_target")
        rows[i][FitMetric::DeltaPpl] = capture.model->perplexityWithCache(scoredIds(), N, {s}).deltaPerplexity();
      substitutions.push_back(std::move(s));
    }
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
  }
  const bool noModel = !capture.modelProblem.empty() && spec.deltaPpl != "none";
  const double raw = static_cast<double>(result.rows.size()) * N * static_cast<double>(info.headDim) * 2;
  auto all = aggregateRow(job, result.rows, raw,
                          noModel ? nlohmann::json{{"delta_ppl_note", capture.modelProblem}} : nlohmann::json::object(),
                          device);
  if (capture.model && spec.deltaPpl != "none")
    all[FitMetric::DeltaPpl] = capture.model->perplexityWithCache(scoredIds(), N, substitutions).deltaPerplexity();
  result.rows.push_back(std::move(all));
  return result;
}

}  // namespace

SweepSummary runSweep(const std::filesystem::path& projectPath, const SweepSpec& spec, JobContext& ctx,
                      std::optional<ShardId> shard) {
  const auto project = Project::open(projectPath);
  auto jobs = planSweep(project, spec);
  SweepSummary summary;
  summary.device = gpu::resolveDevice(spec.device);
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

  // Progress is the share of target fits done: each job weighs its targets (layers x heads x kinds).
  std::vector<double> fits(jobs.size(), 0.0);
  double totalFits = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    if (done.count(jobs[j].key)) continue;
    const auto& c = project.capture(jobs[j].capture);
    const auto count = [](const std::vector<int>& chosen, std::int64_t all) {
      return static_cast<double>(chosen.empty() ? all : static_cast<std::int64_t>(chosen.size()));
    };
    fits[j] = count(spec.layers, c.layers) * count(spec.heads, c.kvHeads) * static_cast<double>(spec.kinds.size());
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
      if (!capture.reader) capture = loadCapture(project, job.capture, spec, summary.device);
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
