// One sweep job: loading a capture's shared inputs, and a job's fits, measurements and rows.
#include "core/sweep/sweep_job.h"

#include <filesystem>
#include <span>

#include "core/capture/capture_extract.h"
#include "core/sweep/fit_and_measure.h"

namespace kvwb::core {
namespace {

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

// Windowed quality statistics in a row.
void setStatsColumns(ResultRow& row, const QualityStats& s) {
  row[FitMetric::LnPplRatio] = s.lnPplRatio.mean;
  row[FitMetric::LnPplRatioSe] = s.lnPplRatio.se;
  row[FitMetric::PplRatio] = s.pplRatio;
  row[FitMetric::Kld] = s.kld.mean;
  row[FitMetric::KldSe] = s.kld.se;
  row[FitMetric::KldMedian] = s.kldMedian;
  row[FitMetric::KldP90] = s.kldP90;
  row[FitMetric::KldP99] = s.kldP99;
  row[FitMetric::KldMax] = s.kldMax;
  row[FitMetric::SameTop] = s.sameTop.mean;
  row[FitMetric::SameTopSe] = s.sameTop.se;
  row[FitMetric::DeltaPMean] = s.deltaPMean;
  row[FitMetric::DeltaPRms] = s.deltaPRms;
}

// The job's windowed quality in its aggregate row (Δ perplexity derived from the same windows)
// and, measured per target, in its target rows (`targets`, in the order the fits made them).
void setQualityColumns(ResultRow& row, std::span<ResultRow> targets, const JobQuality& q) {
  setStatsColumns(row, q.stats);
  for (std::size_t i = 0; i < q.perTarget.size() && i < targets.size(); ++i) setStatsColumns(targets[i], q.perTarget[i]);
  row[FitMetric::GreedySteps] = q.greedySteps;
  row[FitMetric::GreedyAgree] = q.greedyAgreement;
  row[FitMetric::DeltaPpl] = q.deltaPerplexity();
}

}  // namespace

double jobProgressWeight(const SweepJob& job) { return job.quality ? 1.0 + job.quality->windows : 1.0; }

CaptureInputs loadCapture(const Project& project, const std::string& capture, const SweepSpec& spec,
                          const std::string& device, bool storeBaselines) {
  CaptureInputs in;
  in.project = &project;
  in.storeBaselines = storeBaselines;
  in.reader = std::make_unique<TargetReader>(project, capture);
  in.tokenIds = project.tokenIds(capture);
  if (spec.deltaPpl == "none" &&
      std::none_of(spec.methods.begin(), spec.methods.end(), [](const SweepMethod& m) { return m.quality; }))
    return in;
  const auto model = captureModelPath(project.path(), in.reader->info().metadataJson);
  if (model.empty() || in.tokenIds.empty())
    in.modelProblem = "capture has no model or token ids (imported dump)";
  else if (!std::filesystem::exists(model))
    in.modelProblem = "model " + model.string() + " not found";
  else
    in.model = std::make_unique<LlamaModel>(model, LoadOptions{.device = device});
  return in;
}

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
  const double fitShare = capture.model && job.quality ? 1 / jobProgressWeight(job) : 1.0;
  for (std::size_t k = 0; k < spec.kinds.size(); ++k) {
    const auto& kind = spec.kinds[k];
    const auto batch = buildKindBatch(*capture.reader, refs, kind, N);
    SubJobContext kindCtx(ctx, fitShare * static_cast<double>(k) / kinds, fitShare / kinds, kind + " targets: ");
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
      CacheSubstitution s{refs[i].layer, refs[i].head, kind == "K", measured.fit.targets[i].reconstruction,
                          measured.fit.targets[i].kept};
      if (spec.deltaPpl == "per_target")
        rows[i][FitMetric::DeltaPpl] = capture.model->perplexityWithCache(scoredIds(), N, {s}).deltaPerplexity();
      substitutions.push_back(std::move(s));
    }
    result.rows.insert(result.rows.end(), rows.begin(), rows.end());
  }
  const bool noModel = !capture.modelProblem.empty() && (spec.deltaPpl != "none" || job.quality);
  const double raw = static_cast<double>(result.rows.size()) * N * static_cast<double>(info.headDim) * 2;
  auto all = aggregateRow(job, result.rows, raw,
                          noModel ? nlohmann::json{{"delta_ppl_note", capture.modelProblem}} : nlohmann::json::object(),
                          device);
  if (capture.model && job.quality) {
    SubJobContext qualityCtx(ctx, fitShare, 1 - fitShare, "");
    auto& windows = capture.quality[{N, toJson(*job.quality).dump()}];
    if (!windows)
      windows = std::make_unique<WindowQuality>(*capture.project, job.capture, *capture.model, *job.quality, N,
                                                capture.storeBaselines, device, qualityCtx);
    setQualityColumns(all, result.rows, windows->measure(job, spec, compressor, qualityCtx));
    if (spec.deltaPpl == "none") all[FitMetric::DeltaPpl] = kNotMeasured;
  } else if (capture.model && spec.deltaPpl != "none") {
    all[FitMetric::DeltaPpl] = capture.model->perplexityWithCache(scoredIds(), N, substitutions).deltaPerplexity();
  }
  result.rows.push_back(std::move(all));
  return result;
}


}  // namespace kvwb::core
