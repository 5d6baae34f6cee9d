// The per-target scalars of the structure atlas, derived from the batched kernels' arrays with
// the definitions in docs/ANALYSES.md. Plain C++; any thread.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace kvwb::core {

// Column names of the scalar table, in CSV order.
const std::vector<std::string>& scalarNames();

struct TargetScalars {
  double lag1Autocorr = 0, spearmanAdjacent = 0, effectiveRank = 0;
  double rank90 = 0, rank99 = 0;
  double lowFreq1 = 0, lowFreq5 = 0, lowFreq10 = 0;  // share of energy in the lowest 1/5/10% bins
  std::vector<double> values() const;                // in scalarNames() order
};

double effectiveRank(std::span<const float> singularValues);       // exp(entropy of s / sum s)
int energyRank(std::span<const float> singularValues, double share);  // smallest r: top-r s^2 >= share
double lowFrequencyShare(std::span<const float> spectrum, std::int64_t tokens, double fraction);

}  // namespace kvwb::core
