// The per-target scalars of the structure atlas as one table (STYLE.md "Tables of definitions"):
// CSV column, title, unit, whether the text report shows it, how it is computed from the target's
// arrays, and a one-line doc (full definitions: docs/ANALYSES.md). The report, the atlas's metric
// menu, heatmaps and layer profiles iterate structureScalars(); nothing names a scalar's position.
// A new scalar is one KVWB_STRUCTURE_SCALARS row plus, when no formula fits, its formula.
// Plain C++, constant; any thread.
//
//   const TargetScalars s = computeScalars(arrays);
//   for (const auto& def : structureScalars()) out << def.column << '=' << s[def.id];
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kvwb::core {

// One target's analysis arrays (structure_kernels.h): what every scalar is computed from.
struct TargetArrays {
  std::span<const float> autocorr;  // lag k = 1..maxLag
  float spearman = 0;               // adjacent-token Spearman
  std::span<const float> singular;  // descending
  std::span<const float> spectrum;  // ⌊T/2⌋+1 frequency bins
  std::int64_t tokens = 0;
};

// The formulas rows name: each reads the arrays and the row's parameter.
namespace scalar_formula {
double lag1Autocorr(const TargetArrays& arrays, double unused);
double spearmanAdjacent(const TargetArrays& arrays, double unused);
double effectiveRank(const TargetArrays& arrays, double unused);
double energyRank(const TargetArrays& arrays, double share);           // share of Σσ²
double lowFrequencyShare(const TargetArrays& arrays, double fraction);  // fraction of the bins
}  // namespace scalar_formula

// id, column (CSV and file name, never changes), title (menus, axes), unit ("" = none), shown in
// the text report, formula, its parameter, one-line doc.
#define KVWB_STRUCTURE_SCALARS(X)                                                                \
  X(Lag1Autocorr, "lag1_autocorr", "lag-1 autocorrelation", "", true, lag1Autocorr, 0,           \
    "mean over dims of the Pearson r of each token with the next")                               \
  X(SpearmanAdjacent, "spearman_adjacent", "adjacent-token Spearman", "", true, spearmanAdjacent, \
    0, "mean over tokens of the Spearman r of adjacent token vectors")                           \
  X(EffectiveRank, "effective_rank", "effective rank", "dims", true, effectiveRank, 0,           \
    "exp(entropy of the normalised singular values) (Roy & Vetterli)")                           \
  X(Rank90, "rank90", "rank for 90% energy", "dims", true, energyRank, 0.90,                     \
    "fewest singular directions holding 90% of the energy")                                      \
  X(Rank99, "rank99", "rank for 99% energy", "dims", false, energyRank, 0.99,                    \
    "fewest singular directions holding 99% of the energy")                                      \
  X(LowFreq1, "lowfreq_energy_1pct", "low-frequency energy (1% bins)", "", true,                 \
    lowFrequencyShare, 0.01, "share of the energy along tokens in the lowest 1% of frequencies") \
  X(LowFreq5, "lowfreq_energy_5pct", "low-frequency energy (5% bins)", "", false,                \
    lowFrequencyShare, 0.05, "share of the energy along tokens in the lowest 5% of frequencies") \
  X(LowFreq10, "lowfreq_energy_10pct", "low-frequency energy (10% bins)", "", true,              \
    lowFrequencyShare, 0.10, "share of the energy along tokens in the lowest 10% of frequencies")

enum class StructureScalar : std::size_t {
#define KVWB_STRUCTURE_SCALAR_ID(id, ...) id,
  KVWB_STRUCTURE_SCALARS(KVWB_STRUCTURE_SCALAR_ID)
#undef KVWB_STRUCTURE_SCALAR_ID
};

inline constexpr std::size_t kStructureScalarCount = 0
#define KVWB_STRUCTURE_SCALAR_COUNT(...) +1
    KVWB_STRUCTURE_SCALARS(KVWB_STRUCTURE_SCALAR_COUNT)
#undef KVWB_STRUCTURE_SCALAR_COUNT
    ;

using ScalarFormula = double (*)(const TargetArrays& arrays, double parameter);

struct StructureScalarDef {
  StructureScalar id;
  const char* column;
  const char* title;
  const char* unit;
  bool inReport;  // a column of the text report (the CSV has every scalar)
  ScalarFormula formula;
  double parameter;  // the energy share of a rank, the fraction of bins of a low-frequency share
  const char* doc;
};

// In table order (the order of CSV columns and of the atlas's metric menu).
std::span<const StructureScalarDef> structureScalars();
const StructureScalarDef& structureScalar(StructureScalar id);
const StructureScalarDef* findStructureScalar(std::string_view column);  // nullptr when unknown

// Every scalar of one target, indexed by StructureScalar: s[StructureScalar::EffectiveRank].
struct TargetScalars {
  std::array<double, kStructureScalarCount> values{};
  double& operator[](StructureScalar id) { return values[static_cast<std::size_t>(id)]; }
  double operator[](StructureScalar id) const { return values[static_cast<std::size_t>(id)]; }
};

TargetScalars computeScalars(const TargetArrays& arrays);  // every row's formula

// The definitions the formulas apply.
double effectiveRank(std::span<const float> singularValues);  // exp(entropy of s / sum s)
int energyRank(std::span<const float> singularValues, double share);  // least r: top-r s^2 >= share
double lowFrequencyShare(std::span<const float> spectrum, std::int64_t tokens, double fraction);

}  // namespace kvwb::core
