// A sweep job's effect on the model, measured over many windows of its capture's text (issue 15,
// docs/QUALITY.md): each window's prefix is run through the model, its K/V targets are
// compressed by the job's method (fitted on that window; the targets of a batch of windows are
// fitted at once), and the continuation is scored with the compressed prefix cache against the
// exact one (core/quality/quality_stats.h), and continued greedily against the exact cache's
// greedy continuation. The exact side (the baseline) is computed once per capture and prefix
// length and kept in the project under quality_baseline/<capture>/<key> with a fingerprint of
// model, text and windows. Torch stays behind LlamaModel and the compressors. One thread per
// object.
//
//   WindowQuality windows(project, "tinystories", model, spec.qualityWindows, 448, true, "cpu", ctx);
//   JobQuality q = windows.measure(job, spec, *compressor, ctx);
//   q.stats.kld.mean, q.stats.lnPplRatio.se, q.greedySteps ...
#pragma once

#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/compress/compressor.h"
#include "core/model/llama_model.h"
#include "core/quality/quality_stats.h"
#include "core/quality/window_spec.h"
#include "core/sweep/sweep_plan.h"

namespace kvwb::core {

// The most likely next tokens at one scored position: ids and probabilities, most likely first.
struct TopTokens {
  std::vector<int> ids;
  std::vector<float> probs;
};

// What the damage view shows per scored token (`detail` in WindowQuality::measure).
struct TokenDetail {
  TopTokens base, compressed;
};

struct JobQuality {
  QualityStats stats;
  std::vector<std::vector<TokenQuality>> windows;  // per window, per scored token
  std::vector<std::vector<TokenDetail>> detail;    // per window, per scored token, when asked
  // With WindowSpec::perTarget: per target (kinds in the spec's order, then layers x heads), the
  // statistics with only that target compressed.
  std::vector<QualityStats> perTarget;
  std::vector<std::vector<int>> ids;               // per window: prefix + scored ids
  std::vector<int> starts;                         // each window's start in the text's ids
  int prefix = 0, continuation = 0;
  std::string text;  // where the windows come from: the text file, or the capture's own tokens
  // Greedy continuation with the compressed cache against the exact one's: mean steps before the
  // first different token (the full length when none differs), and the share of equal tokens.
  int greedyTokens = 0;
  double greedySteps = 0, greedyAgreement = 0;
  double deltaPerplexity() const;  // exp(mean NLL compressed) - exp(mean NLL exact), every token
};

// The checkpoint a capture was extracted with; throws InputError naming the project when the
// capture has none (an imported dump) or it is gone.
std::filesystem::path requireCaptureModel(const Project& project, const std::string& capture);

class WindowQuality {
 public:
  // The windows of `capture`'s text for prefixes of `prefix` tokens and their baseline: read
  // from the project when one with the same fingerprint is stored, else computed (a batch of
  // windows at a time) and, with `store`, kept in the project (a shard process keeps it in
  // memory). Throws InputError naming the project when the text is too short for one window.
  // `project` and `model` must outlive the object.
  WindowQuality(const Project& project, const std::string& capture, const LlamaModel& model,
                const WindowSpec& spec, int prefix, bool store, const std::string& device, JobContext& ctx);

  // The job's quality over every window. `detail`: also the top-5 next tokens per scored token.
  // Throws the job's own errors (ParamError, Infeasible) as they are; Cancelled on cancel.
  JobQuality measure(const SweepJob& job, const SweepSpec& spec, Compressor& compressor, JobContext& ctx,
                     bool detail = false) const;

  const std::string& baselineKey() const { return m_key; }
  bool baselineWasStored() const { return m_loaded; }  // true: read from the project, not computed

 private:
  std::vector<float> baselineLogits(std::size_t first, std::size_t count) const;  // [count, C, V]
  std::vector<float> baselineGreedy(std::size_t first, std::size_t count) const;  // [count, G]

  const Project& m_project;
  const LlamaModel& m_model;
  CaptureInfo m_capture;
  WindowSpec m_spec;
  std::string m_device, m_text, m_key;
  int m_prefix = 0;
  std::vector<int> m_starts;
  std::vector<std::vector<int>> m_ids;  // per window: BOS + prefix + max(continuation, greedy)
  bool m_loaded = false;
  std::vector<float> m_logits, m_greedy;  // the baseline when it is not read from the project
};

}  // namespace kvwb::core
