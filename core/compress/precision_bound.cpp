// The HNF precision bound against measured bits (see precision_bound.h).
#include "core/compress/precision_bound.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/fit_metrics.h"
#include "core/compress/group_quant.h"
#include "core/compress/query_attention.h"

namespace kvwb::core {
namespace {

const std::string kWhat = "precision bound";

// x [N, T, D] with every token rounded to `bits`.
torch::Tensor atWidth(const torch::Tensor& x, int bits) {
  if (bits <= 8) return dequantizeGroups(quantizeGroups(x, bits, 0));
  if (bits == 11) return x.to(torch::kFloat16).to(torch::kFloat32);
  return x;  // float32
}

// [N]: the largest distance between two rows of each target, in row blocks of the [T, T] map.
std::vector<double> diameters(const torch::Tensor& x) {
  const auto T = x.size(1);
  const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{1} << 22) / T);
  std::vector<double> out;
  for (std::int64_t n = 0; n < x.size(0); ++n) {
    const auto rows = x[n].to(torch::kFloat64);
    double d = 0;
    for (std::int64_t r0 = 0; r0 < T; r0 += block)
      d = std::max(
          d, torch::cdist(rows.narrow(0, r0, std::min(block, T - r0)), rows).max().item<double>());
    out.push_back(d);
  }
  return out;
}

}  // namespace

std::vector<PrecisionBound> measurePrecisionBounds(const TargetBatch& batch,
                                                   const FitInputs& inputs,
                                                   const std::vector<double>& eps, double c,
                                                   const std::string& device) {
  torch::NoGradGuard noGrad;
  checkBatch(batch, kWhat, "batch");
  const bool keys = inputs.kind == "K";
  if (!keys && inputs.kind != "V")
    throw std::invalid_argument(kWhat + ": needs a batch of one kind (inputs.kind \"K\" or \"V\")");
  for (const auto* side : {inputs.keys, inputs.values})
    if (!side || side->n != batch.n || side->t != batch.t || side->d != batch.d)
      throw std::invalid_argument(kWhat +
                                  ": needs inputs.keys and inputs.values of the batch's shape");
  const torch::Device dev(device);
  const auto x = batchTensor(batch, dev);
  const auto qk = queryKeysOf(batch, x, inputs, dev, kWhat);
  if (!qk) throw std::invalid_argument(kWhat + ": needs inputs.queries");
  const auto kappa = curvatureScores({qk->q.to(torch::kFloat64), qk->k.to(torch::kFloat64)},
                                     batchTensor(*inputs.values, dev).to(torch::kFloat64), keys)
                         .hybrid()
                         .amax(1)
                         .cpu();
  const auto diameter = diameters(x);

  AttentionContext att{inputs.queries, inputs.queriesPerTarget, inputs.keys, inputs.values,
                       std::vector<char>(static_cast<std::size_t>(batch.n), keys ? 1 : 0)};
  std::vector<PrecisionBound> out(static_cast<std::size_t>(batch.n));
  for (const int bits : kPrecisionLadder) {
    const auto metrics = computeFitMetrics(batch, hostFloats(atWidth(x, bits)), &att, device);
    for (std::size_t n = 0; n < out.size(); ++n)
      out[n].errors.push_back(metrics[n][FitMetric::AttnOutErr]);
  }
  for (std::size_t n = 0; n < out.size(); ++n) {
    auto& b = out[n];
    b.kappa = kappa[static_cast<std::int64_t>(n)].item<double>();
    b.diameter = diameter[n];
    const double scale = b.kappa * b.diameter * b.diameter;
    for (const double e : eps) {
      b.predicted.push_back(
          scale > 0 ? std::optional<int>(static_cast<int>(std::ceil(std::log2(c * scale / e))))
                    : std::nullopt);
      const auto reached =
          std::find_if(b.errors.begin(), b.errors.end(), [&](double err) { return err <= e; });
      b.measured.push_back(reached == b.errors.end()
                               ? std::nullopt
                               : std::optional<int>(kPrecisionLadder[reached - b.errors.begin()]));
    }
  }
  return out;
}

double tightConstant(const PrecisionBound& b, std::size_t epsIndex, double eps) {
  if (!b.predicted[epsIndex] || !b.measured[epsIndex])
    return std::numeric_limits<double>::quiet_NaN();
  return std::exp2(*b.measured[epsIndex]) * eps / (b.kappa * b.diameter * b.diameter);
}

std::vector<PrecisionBoundSummary> summarizePrecisionBounds(
    const std::vector<PrecisionBound>& bounds, const std::vector<double>& eps) {
  std::vector<PrecisionBoundSummary> out;
  for (std::size_t e = 0; e < eps.size(); ++e) {
    PrecisionBoundSummary s;
    s.eps = eps[e];
    std::vector<double> constants;
    for (const auto& b : bounds) {
      const double ct = tightConstant(b, e, eps[e]);
      if (std::isnan(ct)) continue;
      constants.push_back(ct);
      const int p = *b.predicted[e], m = *b.measured[e];
      (p > m ? s.violated : p == m ? s.tight : s.slack) += 1;
    }
    s.targets = static_cast<int>(constants.size());
    s.cMax = s.cMedian = std::numeric_limits<double>::quiet_NaN();
    if (!constants.empty()) {
      std::sort(constants.begin(), constants.end());
      s.cMax = constants.front();
      const auto mid = constants.size() / 2;
      s.cMedian =
          constants.size() % 2 ? constants[mid] : 0.5 * (constants[mid - 1] + constants[mid]);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace kvwb::core
