// One job of a sweep, run on its own: the per-capture inputs a sweep shares across its jobs
// (targets, token ids, the model for Δ perplexity), and one job's fits, measurements, target rows
// and aggregate row. The sweep runner commits what runJob returns; the sweep estimate times it on a
// sample of targets. One thread per call.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/compress/compressor.h"
#include "core/model/llama_model.h"
#include "core/sweep/sweep_plan.h"
#include "core/sweep/target_batch.h"
#include "core/sweep/window_quality.h"

namespace kvwb::core {

// What a sweep reuses across the jobs of one capture.
struct CaptureInputs {
  const Project* project = nullptr;
  std::unique_ptr<TargetReader> reader;
  std::vector<std::int32_t> tokenIds;
  std::unique_ptr<LlamaModel> model;  // for Δ perplexity and quality; null when the capture has none
  std::string modelProblem;
  bool storeBaselines = true;  // quality baselines kept in the project (not by a shard)
  // By prefix length and windows (as JSON), made on first use.
  std::map<std::pair<int, std::string>, std::unique_ptr<WindowQuality>> quality;
};

// The capture's reader and token ids, and its model when the spec measures Δ perplexity or
// quality. `project` must outlive the result.
CaptureInputs loadCapture(const Project& project, const std::string& capture, const SweepSpec& spec,
                          const std::string& device, bool storeBaselines = true);

// A job's rows: every target per kind, then the aggregate; or one row saying why it is infeasible.
struct JobResult {
  std::vector<ResultRow> rows;
  std::string infeasible;
};

// Fits and measures the job on the spec's targets (its layers x heads x kinds), with Δ perplexity
// and windowed quality as the spec asks (the quality statistics go to the aggregate row). `ctx` is
// the job's part of the sweep's progress, shared as jobProgressWeight weighs its parts.
// A job's work relative to fitting its targets once: 1, plus one per quality window.
double jobProgressWeight(const SweepJob& job);

JobResult runJob(const SweepJob& job, const SweepSpec& spec, CaptureInputs& capture, Compressor& compressor,
                 const std::string& device, JobContext& ctx);

}  // namespace kvwb::core
