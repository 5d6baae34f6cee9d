// Damage predicted from structure (structure_prediction.h).
#include "core/alloc/structure_prediction.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "core/alloc/ridge_regression.h"
#include "core/analysis/capture_analysis.h"
#include "core/base/errors.h"

namespace kvwb::core {
namespace {

// Sums of squares of one option's held-out rows (or of several, pooled).
struct Sums {
  std::size_t n = 0;
  double model = 0, baseline = 0, total = 0;
  void add(const Eigen::VectorXd& y, const HeldOutPredictions& p) {
    const double mean = y.mean();
    n += static_cast<std::size_t>(y.size());
    model += (y - p.model).squaredNorm();
    baseline += (y - p.baseline).squaredNorm();
    total += (y.array() - mean).square().sum();
  }
  PredictionScore score() const {
    PredictionScore s;
    s.samples = n;
    s.rmse = std::sqrt(model / static_cast<double>(n));
    s.baselineRmse = std::sqrt(baseline / static_cast<double>(n));
    s.r2 = total > 0 ? 1 - model / total : 0;
    s.baselineR2 = total > 0 ? 1 - baseline / total : 0;
    return s;
  }
};

}  // namespace

StructureFeatures structureFeatures(const Project& project, const AllocationTable& table) {
  StructureFeatures f;
  for (const auto& def : structureScalars()) f.names.emplace_back(def.column);
  f.names.emplace_back("sink_share_0");  // attention the first token receives (0 without queries)
  f.names.emplace_back("is_key");
  f.values = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(table.targets.size()), static_cast<Eigen::Index>(f.names.size()));
  std::map<std::string, CaptureAnalysis> analyses;
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const auto& target = table.targets[t];
    auto it = analyses.find(target.capture);
    if (it == analyses.end()) {
      auto a = loadAnalysis(project, target.capture);
      if (!a) throw InputError(project.path(), "capture '" + target.capture + "' has no current analysis; run kvwb-cli analyze");
      it = analyses.emplace(target.capture, std::move(*a)).first;
    }
    const auto& a = it->second;
    const auto kind = std::find(a.kinds.begin(), a.kinds.end(), target.kind);
    if (target.layer >= a.layers || target.head >= a.heads || kind == a.kinds.end())
      throw InputError(project.path(), "the analysis of '" + target.capture + "' lacks target " + target.name());
    const auto scalars = a.scalars(target.layer, target.head, static_cast<std::size_t>(kind - a.kinds.begin()));
    const auto row = static_cast<Eigen::Index>(t);
    for (std::size_t j = 0; j < kStructureScalarCount; ++j) f.values(row, static_cast<Eigen::Index>(j)) = scalars.values[j];
    if (a.has("sink_share")) {
      const auto& sink = a.array("sink_share");  // [L, H, T]
      f.values(row, kStructureScalarCount) = sink.data[(target.layer * a.heads + target.head) * sink.shape[2]];
    }
    f.values(row, kStructureScalarCount + 1) = target.kind == "K" ? 1 : 0;
  }
  return f;
}

StructurePrediction predictFromStructure(const AllocationTable& table, const StructureFeatures& features,
                                         double lambda) {
  const auto targets = static_cast<Eigen::Index>(table.targets.size());
  if (features.values.rows() != targets) throw std::invalid_argument("structure prediction: one feature row per target");
  std::vector<int> layer;
  for (const auto& t : table.targets) layer.push_back(t.layer);
  StructurePrediction p;
  p.predicted = table;
  p.features = features.names;
  p.lambda = lambda;
  p.layers = static_cast<int>(std::set<int>(layer.begin(), layer.end()).size());
  if (p.layers < 2) throw std::invalid_argument("structure prediction: leave-one-layer-out needs targets in two layers");
  const double largest = table.damage.empty() ? 0 : *std::max_element(table.damage.begin(), table.damage.end());
  p.eps = largest > 0 ? 1e-6 * largest : 1e-12;
  Sums all;
  const std::size_t options = table.options.size();
  for (std::size_t o = 0; o < options; ++o) {
    Eigen::VectorXd y(targets);
    for (Eigen::Index t = 0; t < targets; ++t) y[t] = std::log(std::max(0.0, table.damageAt(t, o)) + p.eps);
    const auto held = leaveOneGroupOut(features.values, y, layer, lambda);
    Sums one;
    one.add(y, held);
    all.add(y, held);
    p.perOption.push_back(one.score());
    for (Eigen::Index t = 0; t < targets; ++t)
      p.predicted.damage[static_cast<std::size_t>(t) * options + o] = std::max(0.0, std::exp(held.model[t]) - p.eps);
  }
  all.n = std::max<std::size_t>(all.n, 1);
  p.overall = all.score();
  return p;
}

}  // namespace kvwb::core
