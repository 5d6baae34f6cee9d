// The HNF precision analyzer's lower bound on the bits a target needs,
// p >= log2(c kappa D^2 / eps), tested against the fewest bits that actually reach eps with the
// real queries (docs/PRECISION_BOUND.md; kvwb-cli precision-bound). Std-typed; LibTorch inside.
// One thread per call.
//
//   const std::vector<double> eps = {1e-3, 1e-2};
//   auto bounds = measurePrecisionBounds(batch.targets, batch.fitInputs(0), eps, 4, "cpu");
//   for (const auto& s : summarizePrecisionBounds(bounds, eps)) std::cout << s.cMax << "\n";
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/compress/compressor.h"

namespace kvwb::core {

// The widths measured: INTb per token (asymmetric, one scale and zero point, group_quant.h) for
// b <= 8, float16 (11: 10 mantissa bits and the implicit one) and float32 (24) rounding.
inline const std::vector<int> kPrecisionLadder = {2, 3, 4, 5, 6, 8, 11, 24};

struct PrecisionBound {
  double kappa = 0;     // max over positions of the hybrid curvature kappa_t (query_attention.h)
  double diameter = 0;  // the largest distance between two of the target's rows
  std::vector<double> errors;  // attention-output relative error with every token at each width
  // Per eps: ceil(log2(c kappa D^2 / eps)) (nullopt: kappa D^2 = 0, no prediction), and the
  // fewest ladder bits whose error is at most eps (nullopt: none).
  std::vector<std::optional<int>> predicted, measured;
};

// `batch`: targets of one kind (inputs.kind "K" or "V"), with inputs.queries, inputs.keys and
// inputs.values. Attention-output error as FitMetric::AttnOutErr (fit_metrics.h). Value targets
// enter the output linearly: their Hessian, hence kappa, is 0. Throws std::invalid_argument for
// missing or mismatched inputs. One PrecisionBound per target.
std::vector<PrecisionBound> measurePrecisionBounds(const TargetBatch& batch,
                                                   const FitInputs& inputs,
                                                   const std::vector<double>& eps, double c,
                                                   const std::string& device);

// Per eps, over the targets with a prediction and a measurement.
struct PrecisionBoundSummary {
  double eps = 0;
  int targets = 0;
  int violated = 0, tight = 0, slack = 0;  // predicted >, =, < measured bits
  // c_t = 2^measured eps / (kappa D^2) makes the bound exact on target t. cMax = min c_t: the
  // largest c for which it holds everywhere; cMedian: the median c_t. NaN without targets.
  double cMax = 0, cMedian = 0;
};
// The c that makes the bound exact on one target at one eps (NaN without a prediction or
// measurement).
double tightConstant(const PrecisionBound& b, std::size_t epsIndex, double eps);
std::vector<PrecisionBoundSummary> summarizePrecisionBounds(
    const std::vector<PrecisionBound>& bounds, const std::vector<double>& eps);

}  // namespace kvwb::core
