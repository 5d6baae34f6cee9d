// Scalar definitions of the structure atlas.
#include "core/analysis/structure_scalars.h"

#include <cmath>
#include <cstdint>
#include <numeric>

namespace kvwb::core {

const std::vector<std::string>& scalarNames() {
  static const std::vector<std::string> names = {
      "lag1_autocorr", "spearman_adjacent", "effective_rank", "rank90", "rank99",
      "lowfreq_energy_1pct", "lowfreq_energy_5pct", "lowfreq_energy_10pct"};
  return names;
}

std::vector<double> TargetScalars::values() const {
  return {lag1Autocorr, spearmanAdjacent, effectiveRank, rank90, rank99, lowFreq1, lowFreq5, lowFreq10};
}

double effectiveRank(std::span<const float> s) {
  const double total = std::accumulate(s.begin(), s.end(), 0.0);
  if (total <= 0) return 0;
  double entropy = 0;
  for (float v : s)
    if (v > 0) {
      const double p = v / total;
      entropy -= p * std::log(p);
    }
  return std::exp(entropy);
}

int energyRank(std::span<const float> s, double share) {
  double total = 0;
  for (float v : s) total += static_cast<double>(v) * v;
  if (total <= 0) return 0;
  double acc = 0;
  for (std::size_t r = 0; r < s.size(); ++r) {
    acc += static_cast<double>(s[r]) * s[r];
    if (acc >= share * total * (1 - 1e-12)) return static_cast<int>(r + 1);
  }
  return static_cast<int>(s.size());
}

double lowFrequencyShare(std::span<const float> spectrum, std::int64_t tokens, double fraction) {
  const auto bins = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(tokens / 2 + 1)));
  const double total = std::accumulate(spectrum.begin(), spectrum.end(), 0.0);
  if (total <= 0) return 0;
  return std::accumulate(spectrum.begin(), spectrum.begin() + std::min(bins, spectrum.size()), 0.0) / total;
}

}  // namespace kvwb::core
