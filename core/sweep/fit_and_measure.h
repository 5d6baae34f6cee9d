// One batch of targets fitted and measured: the compressor's fit, then every fit metric
// (core/compress/fit_metrics.h) with the real queries where the capture has them, and the
// per-target result rows. Shared by the sweep runner and the Compare view. One thread per call.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/sweep/target_batch.h"

namespace kvwb::core {

struct MeasuredFit {
  BatchFit fit;
  std::vector<FitMetrics> metrics;  // one per target
};

// Throws ParamError or Infeasible from the fit, Cancelled on cancel.
MeasuredFit fitAndMeasure(Compressor& compressor, const KindBatch& batch, const nlohmann::json& params,
                          std::uint64_t seed, bool attentionMetrics, const std::string& device,
                          JobContext& ctx);

// One row per target: the effective parameters plus `extra` (seq_len, job), bytes, ratio, the
// metrics, the fit and decode time shared evenly over the batch, the device.
std::vector<ResultRow> targetRows(const MeasuredFit& measured, const KindBatch& batch, const nlohmann::json& params,
                                  const nlohmann::json& extra);

}  // namespace kvwb::core
