// Structure atlas kernels against direct textbook implementations, on random data (with ties)
// and on real trained values; the scalar table, its report and docs; analysis storage and
// staleness.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <complex>
#include <numeric>
#include <random>
#include <sstream>

#include "core/analysis/analysis_report.h"
#include "core/analysis/capture_analysis.h"
#include "core/analysis/structure_kernels.h"
#include "core/capture/capture_import.h"
#include "gpu/device.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

// ---- textbook references (plain loops, double precision) ------------------------------------
double pearson(const std::vector<double>& a, const std::vector<double>& b, bool& valid) {
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / a.size();
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / b.size();
  double c = 0, va = 0, vb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    c += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) * (a[i] - ma);
    vb += (b[i] - mb) * (b[i] - mb);
  }
  valid = va > 0 && vb > 0;
  return valid ? c / std::sqrt(va * vb) : 0;
}

std::vector<double> ranksWithTies(const std::vector<double>& x) {
  std::vector<std::size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[idx[k]] = (i + j) / 2.0 + 1;
    i = j + 1;
  }
  return r;
}

struct Target {
  int T, D;
  std::vector<float> x;  // T x D
  double at(int t, int d) const { return x[t * D + d]; }
  std::vector<double> column(int d, int from, int len) const {
    std::vector<double> c;
    for (int t = from; t < from + len; ++t) c.push_back(at(t, d));
    return c;
  }
  std::vector<double> row(int t) const { return {x.begin() + t * D, x.begin() + (t + 1) * D}; }
};

double refAutocorr(const Target& X, int k) {
  double sum = 0;
  int n = 0;
  for (int d = 0; d < X.D; ++d) {
    bool valid;
    const double r = pearson(X.column(d, 0, X.T - k), X.column(d, k, X.T - k), valid);
    if (valid) sum += r, ++n;
  }
  return sum / n;
}

double refSpearman(const Target& X) {
  double sum = 0;
  for (int t = 0; t + 1 < X.T; ++t) {
    bool valid;
    sum += pearson(ranksWithTies(X.row(t)), ranksWithTies(X.row(t + 1)), valid);
  }
  return sum / (X.T - 1);
}

std::vector<double> refSpectrum(const Target& X) {  // direct DFT of the centred columns
  std::vector<double> s(X.T / 2 + 1, 0.0);
  for (int d = 0; d < X.D; ++d) {
    auto c = X.column(d, 0, X.T);
    const double m = std::accumulate(c.begin(), c.end(), 0.0) / X.T;
    for (std::size_t f = 0; f < s.size(); ++f) {
      std::complex<double> acc = 0;
      for (int t = 0; t < X.T; ++t) acc += (c[t] - m) * std::polar(1.0, -2 * M_PI * f * t / X.T);
      s[f] += std::norm(acc);
    }
  }
  return s;
}

Target randomTarget(int T, int D, std::mt19937& rng) {
  std::normal_distribution<float> n(0, 1);
  Target X{T, D, std::vector<float>(T * D)};
  for (int d = 0; d < D; ++d) {
    float v = n(rng);
    for (int t = 0; t < T; ++t) {
      v = 0.7f * v + n(rng);
      X.x[t * D + d] = std::round(v * 4) / 4;  // coarse grid: many ties for Spearman
    }
  }
  for (int t = 0; t < T; ++t) X.x[t * D + D - 1] = 1.5f;  // one constant dim: skipped by autocorr
  return X;
}

void checkTargetStats(const std::vector<Target>& targets, int maxLag) {
  TargetBatch b{static_cast<std::int64_t>(targets.size()), targets[0].T, targets[0].D, {}};
  for (const auto& t : targets) b.data.insert(b.data.end(), t.x.begin(), t.x.end());
  const auto s = computeTargetStats(b, maxLag, "cpu");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& X = targets[i];
    for (int k = 1; k <= maxLag; ++k)
      ASSERT_NEAR(s.autocorr[i * maxLag + k - 1], refAutocorr(X, k), 1e-5) << "target " << i << " lag " << k;
    ASSERT_NEAR(s.spearman[i], refSpearman(X), 1e-5) << "target " << i;
    const auto spec = refSpectrum(X);
    const double total = std::accumulate(spec.begin(), spec.end(), 0.0);
    for (std::size_t f = 0; f < spec.size(); ++f)
      ASSERT_NEAR(s.spectrum[i * s.freqs + f] / total, spec[f] / total, 1e-5);
    Eigen::MatrixXd m(X.T, X.D);
    for (int t = 0; t < X.T; ++t)
      for (int d = 0; d < X.D; ++d) m(t, d) = X.at(t, d);
    const Eigen::VectorXd sv = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
    for (int r = 0; r < sv.size(); ++r) ASSERT_NEAR(s.singular[i * s.ranks + r], sv[r], 1e-3 * sv[0]);
    for (int d = 0; d < X.D; ++d) {
      double ma = 0, mx = 0;
      for (int t = 0; t < X.T; ++t) ma += std::abs(X.at(t, d)) / X.T, mx = std::max(mx, std::abs(X.at(t, d)));
      ASSERT_NEAR(s.dimMeanAbs[i * X.D + d], ma, 1e-4);
      ASSERT_EQ(s.dimMaxAbs[i * X.D + d], static_cast<float>(mx));
    }
  }
}

// Direct attention output of query rows `rows` for one query head against K, V (T x D each).
std::vector<double> attend(const Target& Q, const Target& K, const Target& V, const std::vector<int>& rows) {
  std::vector<double> out;
  for (int i : rows) {
    std::vector<double> w(i + 1);
    double mx = -1e300, z = 0;
    for (int j = 0; j <= i; ++j) {
      double s = 0;
      for (int d = 0; d < Q.D; ++d) s += Q.at(i, d) * K.at(j, d);
      w[j] = s / std::sqrt(Q.D);
      mx = std::max(mx, w[j]);
    }
    for (auto& v : w) z += (v = std::exp(v - mx));
    for (int d = 0; d < V.D; ++d) {
      double o = 0;
      for (int j = 0; j <= i; ++j) o += w[j] / z * V.at(j, d);
      out.push_back(o);
    }
  }
  return out;
}

Target slice(const std::vector<float>& all, int head, int T, int D) {
  return {T, D, std::vector<float>(all.begin() + head * T * D, all.begin() + (head + 1) * T * D)};
}

void checkAttentionStats(const LayerQKV& layer) {
  const int T = layer.t, D = layer.d, group = layer.queryHeads / layer.kvHeads;
  const int nq = 16;
  const auto s = computeAttentionStats(layer, nq, "cpu");
  std::vector<int> rows;
  for (int r = 0; r < nq; ++r) rows.push_back(static_cast<int>(std::llround(r * (T - 1.0) / (nq - 1))));
  std::vector<int> all(T);
  std::iota(all.begin(), all.end(), 0);
  for (int h = 0; h < layer.kvHeads; ++h) {
    const auto K = slice(layer.k, h, T, D), V = slice(layer.v, h, T, D);
    std::vector<double> sink(T, 0.0), keySens(D, 0.0), valSens(D, 0.0);
    for (int g = 0; g < group; ++g) {
      const auto Q = slice(layer.q, h * group + g, T, D);
      // Sink: attention received, from full softmax rows (V = identity-like one-hot per token).
      for (int i = 0; i < T; ++i) {
        std::vector<double> w(i + 1);
        double mx = -1e300, z = 0;
        for (int j = 0; j <= i; ++j) {
          double sc = 0;
          for (int d = 0; d < D; ++d) sc += Q.at(i, d) * K.at(j, d);
          mx = std::max(mx, w[j] = sc / std::sqrt(D));
        }
        for (auto& v : w) z += (v = std::exp(v - mx));
        for (int j = 0; j <= i; ++j) sink[j] += w[j] / z / T / group;
      }
      const auto o = attend(Q, K, V, rows);
      double on = 0;
      for (double v : o) on += v * v;
      on = std::sqrt(on);
      for (int d = 0; d < D; ++d) {
        for (bool keys : {true, false}) {
          Target P = keys ? K : V;
          double mean = 0;
          for (int t = 0; t < T; ++t) mean += P.at(t, d) / T;
          for (int t = 0; t < T; ++t) P.x[t * D + d] = static_cast<float>(mean);
          const auto o2 = keys ? attend(Q, P, V, rows) : attend(Q, K, P, rows);
          double diff = 0;
          for (std::size_t i = 0; i < o.size(); ++i) diff += (o2[i] - o[i]) * (o2[i] - o[i]);
          (keys ? keySens : valSens)[d] += std::sqrt(diff) / on / group;
        }
      }
    }
    for (int j = 0; j < T; ++j) ASSERT_NEAR(s.sinkShare[h * T + j], sink[j], 1e-5) << "head " << h << " token " << j;
    for (int d = 0; d < D; ++d) {
      ASSERT_NEAR(s.keySensitivity[h * D + d], keySens[d], 2e-4 + 1e-3 * keySens[d]) << "K dim " << d;
      ASSERT_NEAR(s.valueSensitivity[h * D + d], valSens[d], 2e-4 + 1e-3 * valSens[d]) << "V dim " << d;
    }
  }
}

}  // namespace

TEST(StructureKernels, MatchTextbookOnRandomDataWithTies) {
  std::mt19937 rng(3);
  std::vector<Target> targets;
  for (int i = 0; i < 5; ++i) targets.push_back(randomTarget(40, 6, rng));
  checkTargetStats(targets, 12);
}

TEST(StructureKernels, AttentionStatsMatchTextbookOnRandomGqa) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0, 1);
  LayerQKV layer{4, 2, 24, 6, {}, {}, {}};
  for (auto* v : {&layer.q, &layer.k, &layer.v}) {
    const auto heads = v == &layer.q ? layer.queryHeads : layer.kvHeads;
    for (int i = 0; i < heads * layer.t * layer.d; ++i) v->push_back(n(rng));
  }
  checkAttentionStats(layer);
}

TEST(StructureScalars, Definitions) {
  const std::vector<float> sv = {4, 2, 1, 1};
  const double p[] = {0.5, 0.25, 0.125, 0.125};
  double h = 0;
  for (double v : p) h -= v * std::log(v);
  EXPECT_NEAR(effectiveRank(sv), std::exp(h), 1e-12);
  EXPECT_EQ(energyRank(sv, 0.90), 2);  // 16+4 = 20 of 22 = 0.909
  EXPECT_EQ(energyRank(sv, 0.99), 4);
  const std::vector<float> spec(11, 1.0f);  // T = 20 -> 11 bins; 10% -> round(1.1) = 1 bin
  EXPECT_NEAR(lowFrequencyShare(spec, 20, 0.10), 1.0 / 11, 1e-12);
}

// The CSV columns of `kvwb-cli report --csv`, in order: files written before must stay readable.
const std::vector<std::string> kCsvColumns = {
    "lag1_autocorr",       "spearman_adjacent",   "effective_rank",      "rank90", "rank99",
    "lowfreq_energy_1pct", "lowfreq_energy_5pct", "lowfreq_energy_10pct"};

TEST(StructureScalars, TableKeepsCsvColumnsAndLooksUpById) {
  std::vector<std::string> columns;
  for (const auto& def : structureScalars()) {
    columns.push_back(def.column);
    EXPECT_EQ(&structureScalar(def.id), &def);
    EXPECT_EQ(findStructureScalar(def.column), &def);
    EXPECT_TRUE(*def.title && *def.doc && def.formula) << def.column;
  }
  EXPECT_EQ(columns, kCsvColumns);
  EXPECT_EQ(findStructureScalar("rank95"), nullptr);
}

TEST(StructureScalars, EveryRowAppliesItsDefinition) {
  const std::vector<float> autocorr = {0.5f, 0.25f}, sv = {4, 2, 1, 1};
  std::vector<float> spec(11);  // T = 20
  std::iota(spec.begin(), spec.end(), 1.0f);
  const auto s = computeScalars({autocorr, 0.125f, sv, spec, 20});
  EXPECT_EQ(s[StructureScalar::Lag1Autocorr], 0.5);
  EXPECT_EQ(s[StructureScalar::SpearmanAdjacent], 0.125);
  EXPECT_EQ(s[StructureScalar::EffectiveRank], effectiveRank(sv));
  EXPECT_EQ(s[StructureScalar::Rank90], 2);
  EXPECT_EQ(s[StructureScalar::Rank99], 4);
  EXPECT_EQ(s[StructureScalar::LowFreq1], lowFrequencyShare(spec, 20, 0.01));
  EXPECT_EQ(s[StructureScalar::LowFreq5], lowFrequencyShare(spec, 20, 0.05));
  EXPECT_EQ(s[StructureScalar::LowFreq10], lowFrequencyShare(spec, 20, 0.10));
  EXPECT_NEAR(s[StructureScalar::LowFreq10], 1.0 / 66, 1e-12);  // round(1.1) = 1 bin of 1..11
}

TEST(StructureScalars, DocsListEveryRow) {
  const auto doc = kvwb::test::readFile(kvwb::test::sourceDir() / "docs/ANALYSES.md");
  for (const auto& def : structureScalars()) {
    const std::string row = std::string("| `") + def.column + "` | " + def.title + " | " +
                            (def.inReport ? "yes" : "no") + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/ANALYSES.md lacks the row " << row;
  }
}

namespace {
// One layer, one head, K and V, with arrays of known scalars.
CaptureAnalysis tinyAnalysis() {
  CaptureAnalysis a;
  a.capture = "tiny";
  a.kinds = {"K", "V"};
  a.layers = a.heads = 1;
  a.tokens = 20;
  a.arrays.push_back({"autocorr", {1, 1, 2, 1}, {0.5f, 0.25f}});
  a.arrays.push_back({"spearman", {1, 1, 2}, {0.125f, NAN}});
  a.arrays.push_back({"singular", {1, 1, 2, 4}, {4, 2, 1, 1, 1, 1, 1, 1}});
  std::vector<float> spec(22, 1.0f);
  a.arrays.push_back({"spectrum", {1, 1, 2, 11}, spec});
  return a;
}
}  // namespace

TEST(StructureScalars, ReportCsvHasEveryColumnAndTextTheReportedOnes) {
  const std::vector<LabelledAnalysis> all = {{"fiction", tinyAnalysis()}};
  std::ostringstream csv;
  writeScalarCsv(all, csv);
  std::string header = "capture,layer,head,kind";
  for (const auto& c : kCsvColumns) header += "," + c;
  EXPECT_EQ(csv.str(), header +
                           "\ntiny,0,0,K,0.5,0.125,3.36358566,2,4,0,0.0909090909,0.0909090909"
                           "\ntiny,0,0,V,0.25,,4,4,4,0,0.0909090909,0.0909090909\n");
  std::ostringstream text;
  writeReport(all, text);
  // The text tables' header and the K row, as the report printed them before the table existed.
  const std::string expected =
      "capture                kind         lag1_autocorr    spearman_adjacent       effective_rank"
      "               rank90  lowfreq_energy_1pct lowfreq_energy_10pct\n"
      "tiny                   K                    0.500                0.125                3.364"
      "                2.000                0.000                0.091\n";
  EXPECT_NE(text.str().find(expected), std::string::npos) << text.str();
}

// ---- real data -------------------------------------------------------------------------------

class RealAtlas : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kvwb::test::pythonHasModules("numpy,h5py,torch"))
      GTEST_SKIP() << "needs /usr/bin/python3 with numpy, h5py, torch";
    ASSERT_EQ(kvwb::test::runPython({(kvwb::test::sourceDir() / "tests/data/make_dumps.py").string(),
                                     (kvwb::test::modelDir("stories260K-hf") / "model.safetensors").string(),
                                     m_dir.path().string()}),
              0);
    JobContext ctx;
    ImportOptions opt;
    opt.captureName = "real";
    importCapture({m_dir / "hf_cache.safetensors"}, m_dir / "p.kvw", opt, ctx);
  }
  kvwb::test::TempDir m_dir;
};

TEST_F(RealAtlas, KernelsMatchTextbookOnRealValues) {
  const auto p = Project::open(m_dir / "p.kvw");
  std::vector<Target> targets;
  for (int l = 0; l < 5; ++l) {
    const auto m = p.readTarget("real", TensorKind::Values, l, l % 4);
    targets.push_back({64, 8, m.data});
  }
  checkTargetStats(targets, 20);
  LayerQKV layer{8, 4, 64, 8, {}, {}, {}};
  for (int h = 0; h < 8; ++h) {
    const auto q = p.readTarget("real", TensorKind::Queries, 1, h);
    layer.q.insert(layer.q.end(), q.data.begin(), q.data.end());
  }
  for (int h = 0; h < 4; ++h) {
    const auto k = p.readTarget("real", TensorKind::Keys, 1, h);
    const auto v = p.readTarget("real", TensorKind::Values, 1, h);
    layer.k.insert(layer.k.end(), k.data.begin(), k.data.end());
    layer.v.insert(layer.v.end(), v.data.begin(), v.data.end());
  }
  checkAttentionStats(layer);
}

TEST_F(RealAtlas, StoredAnalysisRoundTripsAndGoesStaleWhenCaptureChanges) {
  auto p = Project::open(m_dir / "p.kvw");
  EXPECT_FALSE(loadAnalysis(p, "real").has_value());
  JobContext ctx;
  AnalysisOptions opt;
  opt.device = "cpu";
  const auto a = analyzeCapture(p, "real", opt, ctx);
  saveAnalysis(p.path(), a);
  const auto loaded = loadAnalysis(p, "real");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->kinds, (std::vector<std::string>{"K", "V"}));
  EXPECT_EQ(loaded->array("sink_share").shape, (std::vector<std::int64_t>{5, 4, 64}));
  EXPECT_EQ(loaded->array("dim_sensitivity").shape, (std::vector<std::int64_t>{5, 4, 2, 8}));
  const auto& stored = loaded->array("autocorr").data;
  const auto& computed = a.array("autocorr").data;
  ASSERT_EQ(stored.size(), computed.size());
  for (std::size_t i = 0; i < stored.size(); ++i)  // lags 63, 64 of 64 tokens are NaN by definition
    ASSERT_TRUE(stored[i] == computed[i] || (std::isnan(stored[i]) && std::isnan(computed[i]))) << i;
  const auto s = loaded->scalars(2, 1, 1);
  EXPECT_GT(s[StructureScalar::EffectiveRank], 1.0);
  EXPECT_LE(s[StructureScalar::Rank90], s[StructureScalar::Rank99]);
  // Re-import under the same name: new metadata (time stamp) -> the stored analysis is stale.
  { ProjectEdit e(p.path()); e.deleteCapture("real"); e.commit(); }
  ImportOptions io;
  io.captureName = "real";
  io.metadataJson = R"({"note":"re-imported"})";
  importCapture({m_dir / "hf_cache.safetensors"}, p.path(), io, ctx);
  p.refresh();
  EXPECT_FALSE(loadAnalysis(p, "real").has_value());
}

// ---- GPU -------------------------------------------------------------------------------------

TEST(StructureKernelsGpu, CudaMatchesCpu) {
  if (!kvwb::gpu::cudaAvailable()) GTEST_SKIP() << "LibTorch sees no CUDA device: GPU test skipped";
  std::mt19937 rng(9);
  std::vector<Target> targets;
  for (int i = 0; i < 6; ++i) targets.push_back(randomTarget(128, 16, rng));
  TargetBatch b{6, 128, 16, {}};
  for (const auto& t : targets) b.data.insert(b.data.end(), t.x.begin(), t.x.end());
  const auto cpu = computeTargetStats(b, 32, "cpu"), gpu = computeTargetStats(b, 32, "cuda:0");
  for (std::size_t i = 0; i < cpu.autocorr.size(); ++i) ASSERT_NEAR(gpu.autocorr[i], cpu.autocorr[i], 1e-5);
  for (std::size_t i = 0; i < cpu.spearman.size(); ++i) ASSERT_NEAR(gpu.spearman[i], cpu.spearman[i], 1e-5);
  for (std::size_t i = 0; i < cpu.singular.size(); ++i) ASSERT_NEAR(gpu.singular[i], cpu.singular[i], 1e-3);
  LayerQKV layer{4, 2, 64, 16, {}, {}, {}};
  std::normal_distribution<float> n(0, 1);
  for (auto* v : {&layer.q, &layer.k, &layer.v})
    for (int i = 0; i < (v == &layer.q ? 4 : 2) * 64 * 16; ++i) v->push_back(n(rng));
  const auto ac = computeAttentionStats(layer, 16, "cpu"), ag = computeAttentionStats(layer, 16, "cuda:0");
  for (std::size_t i = 0; i < ac.sinkShare.size(); ++i) ASSERT_NEAR(ag.sinkShare[i], ac.sinkShare[i], 1e-5);
  for (std::size_t i = 0; i < ac.keySensitivity.size(); ++i)
    ASSERT_NEAR(ag.keySensitivity[i], ac.keySensitivity[i], 1e-4);
}
