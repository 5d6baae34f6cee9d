// Damage predicted from structure (core/alloc/ridge_regression.h, structure_prediction.h): ridge
// recovers a known linear relation on synthetic data; leave-one-layer-out never lets the held-out
// layer's damage reach its own prediction; on the demo project's real captures and stored analyses
// (copied to a temp dir), with each target's real SVD truncation error as the damage, the report
// has finite numbers against its baseline and the predicted table allocates.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/alloc/allocation_solver.h"
#include "core/alloc/ridge_regression.h"
#include "core/alloc/structure_prediction.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

// 40 targets: layers 0-4, heads 0-3, K and V, one option per entry of `options`.
AllocationTable layeredTable(std::size_t options) {
  AllocationTable table;
  table.metric = FitMetric::AttnOutErr;
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 4; ++h)
      for (const char* kind : {"K", "V"}) table.targets.push_back({"cap", 448, l, h, kind, 1000});
  for (std::size_t o = 0; o < options; ++o) table.options.push_back({"m", {{"p", o}}, "p=" + std::to_string(o), {}});
  table.bytes.assign(table.targets.size() * options, 100);
  table.damage.assign(table.targets.size() * options, 1);
  return table;
}

}  // namespace

// Synthetic: y = 2 + 3 x0 - 1.5 x1 + 0 x2 exactly, features on different scales. With a tiny
// penalty the fit is exact; with lambda 1 on 200 standardised rows it is within a percent.
TEST(Ridge, RecoversAKnownLinearRelation) {
  std::mt19937 rng(7);
  std::normal_distribution<double> n01;
  Eigen::MatrixXd x(200, 3);
  Eigen::VectorXd y(200);
  for (int i = 0; i < 200; ++i) {
    x(i, 0) = n01(rng), x(i, 1) = 100 * n01(rng) + 5, x(i, 2) = 0.01 * n01(rng);
    y[i] = 2 + 3 * x(i, 0) - 1.5 * x(i, 1);
  }
  const auto exact = fitRidge(x, y, 1e-9);
  EXPECT_LT((exact.predict(x) - y).cwiseAbs().maxCoeff(), 1e-6);
  const Eigen::VectorXd slope = exact.beta.cwiseQuotient(exact.scale);  // on the original scale
  EXPECT_NEAR(slope[0], 3, 1e-8);
  EXPECT_NEAR(slope[1], -1.5, 1e-8);
  EXPECT_NEAR(slope[2], 0, 1e-5);
  const auto ridge = fitRidge(x, y, 1.0);
  const Eigen::VectorXd shrunk = ridge.beta.cwiseQuotient(ridge.scale);
  EXPECT_NEAR(shrunk[0], 3, 0.03);
  EXPECT_NEAR(shrunk[1], -1.5, 0.015);
  EXPECT_LT(std::abs(shrunk[1]), 1.5);  // shrunk towards 0
  EXPECT_THROW(fitRidge(x, y.head(10), 1.0), std::invalid_argument);
}

// The held-out group's own y never reaches its predictions: changing it changes nothing there, and
// the baseline is the mean of the other groups exactly.
TEST(Ridge, LeaveOneGroupOutNeverUsesTheHeldOutGroup) {
  std::mt19937 rng(3);
  std::normal_distribution<double> n01;
  Eigen::MatrixXd x(40, 2);
  Eigen::VectorXd y(40);
  std::vector<int> group(40);
  for (int i = 0; i < 40; ++i) x(i, 0) = n01(rng), x(i, 1) = n01(rng), y[i] = x(i, 0) + 0.1 * n01(rng), group[i] = i / 8;
  const auto before = leaveOneGroupOut(x, y, group, 1.0);
  Eigen::VectorXd changed = y;
  for (int i = 16; i < 24; ++i) changed[i] = 1e3 * (i - 20);  // group 2's values: wild
  const auto after = leaveOneGroupOut(x, changed, group, 1.0);
  double others = 0;
  for (int i = 0; i < 8; ++i) others += y[i] + y[i + 8] + y[i + 24] + y[i + 32];
  for (int i = 16; i < 24; ++i) {
    EXPECT_DOUBLE_EQ(after.model[i], before.model[i]);
    EXPECT_NEAR(after.baseline[i], others / 32, 1e-12);
  }
  EXPECT_GT((after.model.head(16) - before.model.head(16)).cwiseAbs().maxCoeff(), 1.0);  // the others used it
  EXPECT_THROW(leaveOneGroupOut(x, y, std::vector<int>(40, 0), 1.0), std::invalid_argument);
}

// A feature that is each target's own ln damage predicts it, held out or not. A feature that marks
// the one layer of high damage leaks that layer's damage, and is unusable held out: trained on the
// other layers it is constant, so layer 2 gets the other layers' mean.
TEST(StructurePrediction, LeaveOneLayerOutOnATable) {
  auto table = layeredTable(1);
  StructureFeatures own{{"own"}, Eigen::MatrixXd(40, 1)}, layerId{{"layer_is_2"}, Eigen::MatrixXd(40, 1)};
  for (int t = 0; t < 40; ++t) {
    const int l = table.targets[t].layer;
    table.damage[t] = std::exp(0.3 * (t % 8) + (l == 2 ? 4.0 : 0.0));
    own.values(t, 0) = std::log(table.damage[t]);
    layerId.values(t, 0) = l == 2;  // marks the odd layer: constant (useless) whenever it is held out
  }
  const auto p = predictFromStructure(table, own, 1e-9);
  EXPECT_EQ(p.layers, 5);
  EXPECT_LT(p.overall.rmse, 1e-3);
  EXPECT_GT(p.overall.r2, 0.999);
  for (int t = 0; t < 40; ++t) EXPECT_NEAR(p.predicted.damage[t], table.damage[t], 1e-3 * table.damage[t]);
  // Held out, layer 2 is predicted from layers where the marker is always 0: no better than the mean.
  // The other layers' mean ln damage is 0.3 x 3.5.
  const auto q = predictFromStructure(table, layerId, 1.0);
  for (int t = 0; t < 40; ++t)
    if (table.targets[t].layer == 2) EXPECT_NEAR(q.predicted.damage[t], std::exp(1.05), 1e-2);
  EXPECT_THROW(predictFromStructure(table, StructureFeatures{{"x"}, Eigen::MatrixXd(3, 1)}), std::invalid_argument);
}

// Real data: the demo project's tinystories capture (5 layers x 4 heads x K, V) with its stored
// analysis; damage = each target's real relative error of rank-1, -2 and -4 SVD truncation.
TEST(StructurePrediction, DemoProjectRealTargets) {
  const kvwb::test::TempDir dir;
  std::filesystem::copy_file(kvwb::test::sourceDir() / "datasets/demo.kvw", dir / "demo.kvw");
  const auto project = Project::open(dir / "demo.kvw");
  AllocationTable table;
  table.metric = FitMetric::RelErr;
  const int ranks[] = {1, 2, 4};
  for (int r : ranks) table.options.push_back({"svd", {{"rank", r}}, "rank=" + std::to_string(r), {}});
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 4; ++h)
      for (const auto kind : {TensorKind::Keys, TensorKind::Values}) {
        const auto m = project.readTarget("tinystories", kind, l, h);
        const Eigen::MatrixXd a = Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(m.data.data(), m.rows, m.cols).cast<double>();
        const Eigen::VectorXd s2 = Eigen::BDCSVD<Eigen::MatrixXd>(a).singularValues().array().square();
        table.targets.push_back({"tinystories", static_cast<int>(m.rows), l, h, shortName(kind), 2.0 * m.rows * m.cols});
        for (int r : ranks) {
          table.bytes.push_back(2.0 * r * (m.rows + m.cols));
          table.damage.push_back(std::sqrt(s2.tail(s2.size() - r).sum() / s2.sum()));
        }
      }
  const auto features = structureFeatures(project, table);
  ASSERT_EQ(features.values.rows(), 40);
  ASSERT_EQ(features.names.back(), "is_key");
  EXPECT_TRUE(features.values.allFinite());
  const auto p = predictFromStructure(table, features);
  ASSERT_EQ(p.perOption.size(), 3u);
  for (const auto& s : p.perOption) {
    EXPECT_EQ(s.samples, 40u);
    EXPECT_TRUE(std::isfinite(s.rmse) && std::isfinite(s.baselineRmse) && std::isfinite(s.r2) && std::isfinite(s.baselineR2));
    EXPECT_GT(s.baselineRmse, 0);
  }
  EXPECT_EQ(p.overall.samples, 120u);
  // The atlas's ranks and spectra describe exactly what truncation loses: structure beats the mean.
  EXPECT_LT(p.overall.rmse, p.overall.baselineRmse);
  const auto a = AllocationSolver(p.predicted).solve(table.rawBytes() / 4);
  EXPECT_EQ(a.choice.size(), 40u);
}
