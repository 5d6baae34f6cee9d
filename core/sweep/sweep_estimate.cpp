// Sweep size from the descriptors, sweep time from speeds measured by running samples of its jobs.
#include "core/sweep/sweep_estimate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "core/compress/method_descriptor.h"
#include "core/sweep/sweep_job.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A sample this quick is timed again: the first run of a method pays one-off set-up costs.
constexpr double kRetimeBelowSeconds = 0.5;
constexpr std::size_t kSampleTries = 3;  // jobs tried per method before it counts as infeasible

template <typename Work>
double secondsOf(Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double fitFlops(const Project& project, const SweepJob& job) {
  const CaptureInfo& c = project.capture(job.capture);
  return estimateFitFlops(methodDescriptor(job.method), job.params, {job.seqLength, c.headDim});
}

// The spec cut down to one target per kind (the first layer and head it names) and no Δ
// perplexity: what a sample job runs on.
SweepSpec sampleSpec(const SweepSpec& spec) {
  SweepSpec sample = spec;
  sample.layers = {spec.layers.empty() ? 0 : spec.layers.front()};
  sample.heads = {spec.heads.empty() ? 0 : spec.heads.front()};
  sample.deltaPpl = "none";
  sample.quality = false;
  for (auto& m : sample.methods) m.quality.reset();
  return sample;
}

// Times `method`'s cheapest feasible jobs on the sample targets into `speed`.
void measureMethod(const Project& project, const SweepSpec& spec, const std::vector<SweepJob>& jobs,
                   const std::string& method, SweepSpeed& speed, JobContext& ctx) {
  std::vector<const SweepJob*> candidates;
  for (const SweepJob& job : jobs)
    if (job.method == method) candidates.push_back(&job);
  std::stable_sort(candidates.begin(), candidates.end(), [&](const SweepJob* a, const SweepJob* b) {
    const double fa = fitFlops(project, *a), fb = fitFlops(project, *b);
    return std::isfinite(fa) && (!std::isfinite(fb) || fa < fb);
  });
  const SweepSpec sample = sampleSpec(spec);
  const auto compressor = makeCompressor(method);
  for (std::size_t i = 0; i < std::min(kSampleTries, candidates.size()); ++i) {
    SweepJob job = *candidates[i];
    job.quality.reset();  // the model's side of quality is timed once, not per method
    auto inputs = loadCapture(project, job.capture, sample, speed.device);
    JobResult result;
    const auto run = [&] { result = runJob(job, sample, inputs, *compressor, speed.device, ctx); };
    double seconds = secondsOf(run);
    if (!result.infeasible.empty()) continue;
    if (seconds < kRetimeBelowSeconds) seconds = secondsOf(run);
    const double targets = static_cast<double>(sample.kinds.size());
    const double flops = fitFlops(project, job);
    if (std::isfinite(flops) && flops > 0)
      speed.secondsPerFlop[method] = seconds / (targets * flops);
    else
      speed.secondsPerTarget[method] = seconds / targets;
    return;
  }
  speed.secondsPerTarget[method] = 0;  // every job tried is infeasible: recorded, not fitted
}

bool anyQuality(const SweepSpec& spec) {
  return std::any_of(spec.methods.begin(), spec.methods.end(), [](const SweepMethod& m) { return m.quality; });
}

// Times loading the first capture's inputs and, when the spec measures them, one Δ perplexity
// evaluation and the model's side of one quality window (its capture, scored continuation and
// greedy continuation).
void measureCaptureAndModel(const Project& project, const SweepSpec& spec, const SweepJob& job,
                            SweepSpeed& speed) {
  CaptureInputs inputs;
  speed.captureSeconds =
      secondsOf([&] { inputs = loadCapture(project, job.capture, spec, speed.device); });
  speed.pplSeconds = speed.qualityPrefixSeconds = speed.qualityTokenSeconds = 0;
  if (!inputs.model) return;
  const int n = job.seqLength;
  const LlamaModel& model = *inputs.model;
  const std::vector<int> ids(inputs.tokenIds.begin(), inputs.tokenIds.begin() + n + spec.pplTokens);
  speed.pplSeconds = secondsOf([&] { model.perplexityWithCache(ids, n, {}); });
  if (!anyQuality(spec)) return;
  const std::vector<std::vector<int>> prefix = {{ids.begin(), ids.begin() + n}};
  const std::vector<std::vector<int>> scored = {ids};
  speed.qualityPrefixSeconds = secondsOf([&] { model.captureBatch(prefix, {.queries = true}); });
  speed.qualityTokenSeconds = secondsOf([&] { model.continuationLogitsBatch(scored, n, {{}}); }) / spec.pplTokens;
}

bool modelCostsMeasured(const SweepSpec& spec, const SweepSpeed& speed) {
  return speed.captureSeconds >= 0 && (spec.deltaPpl == "none" || speed.pplSeconds >= 0) &&
         (!anyQuality(spec) || speed.qualityTokenSeconds >= 0);
}

// The model's side of the quality windows of `windows`: once for the baseline, once per job.
double qualityModelSeconds(const WindowSpec& windows, const SweepSpeed& speed) {
  return windows.windows * (std::max(0.0, speed.qualityPrefixSeconds) +
                            (windows.continuation + windows.greedy) * std::max(0.0, speed.qualityTokenSeconds));
}

}  // namespace

SweepSize sweepSize(const Project& project, const SweepSpec& spec, const std::vector<SweepJob>& jobs) {
  SweepSize size;
  size.jobs = static_cast<int>(jobs.size());
  for (const SweepJob& job : jobs) {
    const CaptureInfo& c = project.capture(job.capture);
    const double n = targetFits(spec, c);
    const TargetShape shape{job.seqLength, c.headDim};
    size.targetFits += n;
    size.rawFloat16Bytes += n * shape.rawFloat16Bytes();
    size.bytes += n * estimateBytes(methodDescriptor(job.method), job.params, shape);  // NaN sticks
  }
  return size;
}

bool SweepSpeed::covers(const SweepSpec& spec) const {
  if (!modelCostsMeasured(spec, *this)) return false;
  return std::all_of(spec.methods.begin(), spec.methods.end(), [&](const auto& m) {
    return secondsPerFlop.count(m.method) || secondsPerTarget.count(m.method);
  });
}

SweepSpeed measureSweepSpeed(const Project& project, const SweepSpec& spec, JobContext& ctx,
                             SweepSpeed known) {
  const auto jobs = planSweep(project, spec);
  SweepSpeed speed = std::move(known);
  speed.device = gpu::resolveDevice(spec.device);
  if (jobs.empty()) return speed;
  if (!modelCostsMeasured(spec, speed)) measureCaptureAndModel(project, spec, jobs.front(), speed);
  std::set<std::string> methods;
  for (const auto& m : spec.methods)
    if (!speed.secondsPerFlop.count(m.method) && !speed.secondsPerTarget.count(m.method))
      methods.insert(m.method);
  double done = 0;
  const auto count = static_cast<double>(methods.size());
  for (const std::string& method : methods) {
    SubJobContext methodCtx(ctx, done++ / count, 1 / count, "timing " + method + ": ");
    methodCtx.checkCancelled();
    measureMethod(project, spec, jobs, method, speed, methodCtx);
  }
  ctx.report(1, "timed");
  return speed;
}

double predictSweepSeconds(const Project& project, const SweepSpec& spec,
                           const std::vector<SweepJob>& jobs, const SweepSpeed& speed) {
  std::set<std::string> captures;
  std::map<std::tuple<std::string, int, std::string>, double> baselines;
  double seconds = 0;
  for (const SweepJob& job : jobs) {
    // Each quality window fits the job's targets once more and runs the model once.
    const double n = targetFits(spec, project.capture(job.capture)) * jobProgressWeight(job);
    const double flops = fitFlops(project, job);
    const auto perFlop = speed.secondsPerFlop.find(job.method);
    const auto perTarget = speed.secondsPerTarget.find(job.method);
    if (perFlop != speed.secondsPerFlop.end() && std::isfinite(flops))
      seconds += n * flops * perFlop->second;
    else if (perTarget != speed.secondsPerTarget.end())
      seconds += n * perTarget->second;
    else if (perFlop != speed.secondsPerFlop.end())
      continue;  // parameters the method cannot meet (an unreachable ratio): recorded, not fitted
    else
      return kNaN;
    if (job.quality) {
      seconds += qualityModelSeconds(*job.quality, speed);
      baselines[{job.capture, job.seqLength, toJson(*job.quality).dump()}] = qualityModelSeconds(*job.quality, speed);
    }
    if (spec.deltaPpl == "job" && !job.quality) seconds += speed.pplSeconds;
    if (spec.deltaPpl == "per_target") seconds += (n + 1) * speed.pplSeconds;
    captures.insert(job.capture);
  }
  // Per capture its loading, and per capture, length and windows the quality baseline.
  for (const auto& [what, baseline] : baselines) seconds += baseline;
  return seconds + static_cast<double>(captures.size()) * std::max(0.0, speed.captureSeconds);
}

}  // namespace kvwb::core
