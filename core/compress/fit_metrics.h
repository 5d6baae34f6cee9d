// Quality metrics of a batch of fits, all reported together (DESIGN.md "Honest accounting"):
// mean token cosine (the seed's metric), relative Frobenius error, and, with the real queries,
// the attention-output relative error and attention KL of the head's query group.
// Std-typed; LibTorch inside. Any one thread at a time per device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis/structure_kernels.h"
#include "core/project/fit_metric_table.h"

namespace kvwb::core {

// The metrics of one target, indexed by FitMetric (fit_metric_table.h): CosSim, RelErr, and with
// queries AttnOutErr and AttnKl; NaN where not measured (bytes, times: the fit's, not these).
using FitMetrics = MetricValues;

// Attention context of each target: its group's queries and the original K and V it attends
// with. For a K target the reconstruction replaces K, for a V target it replaces V.
struct AttentionContext {
  const TargetBatch* queries = nullptr;  // [N * G, T, D]
  int queriesPerTarget = 0;              // G
  const TargetBatch* keys = nullptr;     // [N, T, D] original keys of each target's head
  const TargetBatch* values = nullptr;   // [N, T, D] original values
  std::vector<char> isKeys;              // per target: 1 = K target, 0 = V target
};

// `recon`: [N, T, D] reconstructions of `original`; `kept`: per target, the tokens an eviction
// fit kept (T flags; empty, or no vector at all: every token). Returns one FitMetrics per target.
// With evicted tokens, attention hides them from every query but their own, and the attention KL
// is KL(A' || A): docs/EVICTION.md.
std::vector<FitMetrics> computeFitMetrics(const TargetBatch& original, const std::vector<float>& recon,
                                          const AttentionContext* attention, const std::string& device,
                                          const std::vector<std::vector<std::uint8_t>>& kept = {});

}  // namespace kvwb::core
