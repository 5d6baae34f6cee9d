// The structure scalar table and its formulas (see structure_scalars.h).
#include "core/analysis/structure_scalars.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kvwb::core {

namespace scalar_formula {

double lag1Autocorr(const TargetArrays& a, double) { return a.autocorr[0]; }

double spearmanAdjacent(const TargetArrays& a, double) { return a.spearman; }

double effectiveRank(const TargetArrays& a, double) { return core::effectiveRank(a.singular); }

double energyRank(const TargetArrays& a, double share) {
  return core::energyRank(a.singular, share);
}

double lowFrequencyShare(const TargetArrays& a, double fraction) {
  return core::lowFrequencyShare(a.spectrum, a.tokens, fraction);
}

}  // namespace scalar_formula

namespace {

constexpr StructureScalarDef kScalars[] = {
#define KVWB_STRUCTURE_SCALAR_DEF(id, column, title, unit, inReport, formula, parameter, doc) \
  {StructureScalar::id, column, title, unit, inReport, &scalar_formula::formula, parameter, doc},
    KVWB_STRUCTURE_SCALARS(KVWB_STRUCTURE_SCALAR_DEF)
#undef KVWB_STRUCTURE_SCALAR_DEF
};
static_assert(std::size(kScalars) == kStructureScalarCount);

}  // namespace

std::span<const StructureScalarDef> structureScalars() { return kScalars; }

const StructureScalarDef& structureScalar(StructureScalar id) {
  return kScalars[static_cast<std::size_t>(id)];
}

const StructureScalarDef* findStructureScalar(std::string_view column) {
  for (const auto& s : kScalars)
    if (column == s.column) return &s;
  return nullptr;
}

TargetScalars computeScalars(const TargetArrays& arrays) {
  TargetScalars s;
  for (const auto& def : kScalars) s[def.id] = def.formula(arrays, def.parameter);
  return s;
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
  const auto bins =
      static_cast<std::size_t>(std::llround(fraction * static_cast<double>(tokens / 2 + 1)));
  const double total = std::accumulate(spectrum.begin(), spectrum.end(), 0.0);
  if (total <= 0) return 0;
  const auto last = spectrum.begin() + static_cast<std::ptrdiff_t>(std::min(bins, spectrum.size()));
  return std::accumulate(spectrum.begin(), last, 0.0) / total;
}

}  // namespace kvwb::core
