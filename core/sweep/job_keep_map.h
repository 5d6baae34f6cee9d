// What an eviction job keeps (issue 16, "see what was kept"): the job's eviction method fitted
// again on every target of the job (its layers x heads x kinds, its seq_len tokens of its
// capture) with the sweep's parameters and seed, so the kept sets are the sweep's; per target the
// kept flags and the attention each token receives from the capture's real queries; the
// capture's tokens as text. The job is found as job_damage.h finds one (job_lookup.h). Std-typed
// for the keep-map view and `kvwb-cli keep-map`; one thread per call.
//
//   JobKeepMap m = jobKeepMap(project, "b889cc86", "cpu", ctx);
//   for (const auto& t : m.targets) std::cout << t.layer << t.kind << summarizeKeep(t).kept;
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/project/project.h"

namespace kvwb::core {

struct KeepMapTarget {
  int layer = 0, head = 0;
  std::string kind;                // "K" or "V"
  std::vector<std::uint8_t> kept;  // T flags, 1 = kept
  // T values: the attention token j receives, the mean over the head's query group and over its
  // T query rows (causal softmax(QK^T / sqrt(D)) of the capture's queries; each row sums to 1, so
  // the values do). The same for K and V of a head. Empty when the capture has no queries.
  std::vector<float> attention;
};

struct JobKeepMap {
  std::string job, run, capture, method, paramsText;
  int tokens = 0;  // T: the job's seq_len, positions 0..T-1 of the capture
  // T entries: each token as it reads in the text (leading space included, BOS as "<s>"), or its
  // position number when the capture has no token ids or its model's tokenizer is missing.
  std::vector<std::string> tokenTexts;
  bool decoded = false;  // tokenTexts are text, not position numbers
  std::vector<KeepMapTarget> targets;  // per kind in the spec's order, each its layers x heads
};

// Throws InputError naming the project when no job's key starts with `jobKey` (or more than one
// does), its run keeps no spec, its method is not an eviction method (it keeps every token), or
// its fit is infeasible.
JobKeepMap jobKeepMap(const Project& project, const std::string& jobKey, const std::string& device,
                      JobContext& ctx);

// What one target keeps, at a glance.
struct KeepSummary {
  int tokens = 0, kept = 0;
  int sinkRun = 0;    // kept tokens from position 0 on, unbroken (the attention sinks)
  int recentRun = 0;  // kept tokens up to the last position, unbroken (the recent window)
  double attentionKept = std::nan("");  // share of the attention received that lands on kept tokens
  double sinkShare() const { return kept ? static_cast<double>(sinkRun) / kept : 0; }      // of the kept
  double recentShare() const { return kept ? static_cast<double>(recentRun) / kept : 0; }  // of the kept
};
KeepSummary summarizeKeep(const KeepMapTarget& target);

}  // namespace kvwb::core
