// A sweep job's effect on the model, measured over many windows of its capture's text (issue 15):
// each window's prefix is run through the model, its K/V targets are compressed by the job's
// method (fitted on that window), and the continuation is scored with the compressed prefix
// cache against the exact one (core/quality/quality_stats.h: ln PPL ratio, KL divergence,
// same-top-token rate, Δp, with bootstrap errors over windows). Needs the capture's model;
// torch stays behind LlamaModel and the compressors. One thread per call.
//
//   WindowSpec windows{.windows = 16, .continuation = 64};
//   auto q = jobQuality(project, planSweep(project, spec).front(), spec, windows, "cpu", ctx);
//   q.stats.kld.mean, q.stats.lnPplRatio.se ...
#pragma once

#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/quality/quality_stats.h"
#include "core/sweep/sweep_plan.h"

namespace kvwb::core {

struct WindowSpec {
  int windows = 16;       // at most this many (fewer when the text is shorter)
  int prefix = 0;         // compressed prefix tokens, BOS included; 0: the job's sequence length
  int continuation = 64;  // scored tokens per window
  int stride = 0;         // between window starts; 0: prefix + continuation (no overlap)
  std::uint64_t bootstrapSeed = 0;
};

// Start offsets into `textTokens` ids (BOS at 0) of the windows: the first at 0, then every
// `stride`, each holding prefix + continuation tokens (a window after the first gets its own BOS
// in place of the text's token at its start, as the extractor makes captures).
std::vector<int> windowStarts(int textTokens, const WindowSpec& spec, int prefix);

struct JobQuality {
  QualityStats stats;
  std::vector<std::vector<TokenQuality>> windows;  // per window, per scored token
  std::vector<int> starts;                         // each window's start in the text's ids
  int prefix = 0, continuation = 0;
  std::string text;  // where the windows come from: the text file, or the capture's own tokens
};

// Throws InputError naming the project when the capture has no model or the text is too short
// for one window; the job's own errors (ParamError, Infeasible) as they are.
JobQuality jobQuality(const Project& project, const SweepJob& job, const SweepSpec& spec,
                      const WindowSpec& windows, const std::string& device, JobContext& ctx);

}  // namespace kvwb::core
