// Linear, Fourier and quantizing compressors ("svd", "pca", "random_projection", "fourier",
// "quant", "mixed_precision", "hybrid") against direct reference implementations (Eigen SVD,
// textbook DFT, per-group bounds, loop attention), their byte ledgers, and fits of the demo
// project's real keys and values.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>
#include <iostream>
#include <random>

#include "core/compress/compressor.h"
#include "core/sweep/target_batch.h"
#include "core/project/project.h"

namespace fs = std::filesystem;
using namespace kvwb::core;
using Matrix = Eigen::MatrixXd;

namespace {

TargetBatch gaussianBatch(std::int64_t n, std::int64_t t, std::int64_t d, unsigned seed,
                          float sigma = 1.f) {
  TargetBatch b{n, t, d, std::vector<float>(static_cast<std::size_t>(n * t * d))};
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, sigma);
  for (auto& v : b.data) v = g(rng);
  return b;
}

// Low-rank signal (rank 4, decaying strengths) plus noise, offset by a per-target mean.
TargetBatch structuredBatch(std::int64_t n, std::int64_t t, std::int64_t d, unsigned seed) {
  auto b = gaussianBatch(n, t, d, seed, 0.05f);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> g(0.f, 1.f);
  for (std::int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 4; ++k) {
      std::vector<float> u(t), v(d);
      for (auto& x : u) x = g(rng);
      for (auto& x : v) x = g(rng) / static_cast<float>(k + 1);
      for (std::int64_t s = 0; s < t; ++s)
        for (std::int64_t c = 0; c < d; ++c)
          b.data[(i * t + s) * d + c] += u[s] * v[c] + (k == 0 ? 0.5f : 0.f);
    }
  return b;
}

Matrix target(const TargetBatch& b, std::int64_t i) {
  Matrix m(b.t, b.d);
  for (std::int64_t s = 0; s < b.t; ++s)
    for (std::int64_t c = 0; c < b.d; ++c) m(s, c) = b.data[(i * b.t + s) * b.d + c];
  return m;
}

Matrix recon(const BatchFit& fit, std::int64_t i, std::int64_t t, std::int64_t d) {
  Matrix m(t, d);
  for (std::int64_t s = 0; s < t; ++s)
    for (std::int64_t c = 0; c < d; ++c) m(s, c) = fit.targets[i].reconstruction[s * d + c];
  return m;
}

double relErr(const TargetBatch& b, const BatchFit& fit) {
  double err = 0, ref = 0;
  for (std::int64_t i = 0; i < b.n; ++i) {
    const auto x = target(b, i);
    err += (x - recon(fit, i, b.t, b.d)).squaredNorm();
    ref += x.squaredNorm();
  }
  return std::sqrt(err / ref);
}

double meanCosine(const TargetBatch& b, const BatchFit& fit) {
  double sum = 0;
  for (std::int64_t i = 0; i < b.n; ++i) {
    const auto x = target(b, i), y = recon(fit, i, b.t, b.d);
    for (std::int64_t s = 0; s < b.t; ++s)
      sum += x.row(s).dot(y.row(s)) / std::max(x.row(s).norm() * y.row(s).norm(), 1e-30);
  }
  return sum / static_cast<double>(b.n * b.t);
}

float half(float x) {  // float16 rounding through the compiler's _Float16
  return static_cast<float>(static_cast<_Float16>(x));
}

BatchFit fit(const std::string& method, const TargetBatch& b, const nlohmann::json& params,
             const FitInputs& inputs = {}) {
  JobContext ctx;
  return makeCompressor(method)->fit(b, params, inputs, "cpu", ctx);
}

// Expects an `Error` whose message names `param`: std::invalid_argument for a request against the
// method's declaration, Infeasible for a valid one this batch's shape cannot meet.
template <typename Error = std::invalid_argument>
void expectInvalid(const std::string& method, const TargetBatch& b, const nlohmann::json& params,
                   const std::string& param, const FitInputs& inputs = {}) {
  try {
    fit(method, b, params, inputs);
    ADD_FAILURE() << method << " accepted " << params.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(param), std::string::npos) << e.what();
  }
}
void expectInfeasible(const std::string& method, const TargetBatch& b, const nlohmann::json& params,
                      const std::string& param, const FitInputs& inputs = {}) {
  expectInvalid<Infeasible>(method, b, params, param, inputs);
}

// Causal softmax(QK^T/sqrt(D)) attention received per key token, averaged over the G query heads
// of each target and the T query positions: plain loops in double.
std::vector<double> referenceImportance(const TargetBatch& q, int g, const TargetBatch& k,
                                        std::int64_t i) {
  const auto T = k.t, D = k.d;
  std::vector<double> imp(T, 0);
  for (int h = 0; h < g; ++h)
    for (std::int64_t r = 0; r < T; ++r) {
      std::vector<double> s(r + 1);
      for (std::int64_t j = 0; j <= r; ++j) {
        double dot = 0;
        for (std::int64_t c = 0; c < D; ++c)
          dot += q.data[((i * g + h) * T + r) * D + c] *
                 static_cast<double>(k.data[(i * T + j) * D + c]);
        s[j] = dot / std::sqrt(static_cast<double>(D));
      }
      const double mx = *std::max_element(s.begin(), s.end());
      double z = 0;
      for (auto& v : s) z += v = std::exp(v - mx);
      for (std::int64_t j = 0; j <= r; ++j) imp[j] += s[j] / z / (g * T);
    }
  return imp;
}

fs::path demoProject() { return fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw"; }

}  // namespace

// ---- SVD ----------------------------------------------------------------------------------------

TEST(Svd, ReachesTheEckartYoungOptimum) {
  const auto b = structuredBatch(3, 40, 16, 7);
  for (int rank : {1, 3, 6}) {
    const auto f32 = fit("svd", b, {{"rank", rank}, {"storage", "float32"}});
    const auto f16 = fit("svd", b, {{"rank", rank}});
    for (std::int64_t i = 0; i < b.n; ++i) {
      const auto x = target(b, i);
      const Eigen::JacobiSVD<Matrix> svd(x);
      const auto sv = svd.singularValues();
      const double optimum = std::sqrt(sv.tail(sv.size() - rank).squaredNorm());
      const double e32 = (x - recon(f32, i, b.t, b.d)).norm(),
                   e16 = (x - recon(f16, i, b.t, b.d)).norm();
      EXPECT_NEAR(e32, optimum, 1e-5 * x.norm()) << "rank " << rank << " target " << i;
      EXPECT_GE(e16, optimum * (1 - 1e-6));       // float16 factors cannot beat the optimum ...
      EXPECT_LT(e16, optimum + 2e-3 * x.norm());  // ... and cost little
    }
  }
}

TEST(Svd, RatioPicksTheLargestRankThatFitsAndBytesFollowTheFormula) {
  const auto b = structuredBatch(2, 64, 32, 3);  // raw float16: 4096 bytes per target
  const auto f = fit("svd", b, {{"ratio", 4}});  // budget 1024; rank r costs (64 + 32 + 1) * 2 * r
  EXPECT_EQ(f.effectiveParams.at("rank"), 5);
  EXPECT_EQ(f.effectiveParams.at("storage"), "float16");
  const auto& items = f.targets[1].bytes.items;
  EXPECT_DOUBLE_EQ(items.at("U"), 64 * 5 * 2);
  EXPECT_DOUBLE_EQ(items.at("S"), 5 * 2);
  EXPECT_DOUBLE_EQ(items.at("V"), 32 * 5 * 2);
  EXPECT_DOUBLE_EQ(f.targets[1].bytes.total(), 970);
  const auto f32 = fit("svd", b, {{"ratio", 4}, {"storage", "float32"}});
  EXPECT_EQ(f32.effectiveParams.at("rank"), 2);
  EXPECT_DOUBLE_EQ(f32.targets[0].bytes.total(), 2 * 97 * 4);
  EXPECT_EQ(fit("svd", b, {{"ratio", 1}}).effectiveParams.at("rank"), 21);  // floor(4096 / 194)
  EXPECT_EQ(f.device, "cpu");
  EXPECT_GE(f.fitSeconds, 0);
  EXPECT_GE(f.decodeMs, 0);
}

TEST(Svd, RejectsBadParametersByName) {
  const auto b = structuredBatch(1, 16, 8, 1);
  expectInvalid("svd", b, {{"rank", 0}}, "'rank'");
  expectInfeasible("svd", b, {{"rank", 9}}, "'rank'");
  expectInvalid("svd", b, nlohmann::json::object(), "'rank'");
  expectInvalid("svd", b, {{"rank", 2}, {"ratio", 2}}, "'rank'");
  expectInfeasible("svd", b, {{"ratio", 100}}, "'ratio'");
  expectInvalid("svd", b, {{"rank", 2}, {"storage", "int8"}}, "'storage'");
  expectInvalid("svd", b, {{"rnak", 2}, {"rank", 2}}, "'rnak'");
}

// ---- PCA and random projection ------------------------------------------------------------------

TEST(Pca, ProjectsOntoTheCalibrationDatasPrincipalSubspace) {
  const auto b = structuredBatch(2, 30, 12, 11), calibration = structuredBatch(2, 50, 12, 12);
  const int rank = 3;
  FitInputs inputs;
  inputs.calibration = &calibration;
  const auto f = fit("pca", b, {{"rank", rank}, {"storage", "float32"}}, inputs);
  EXPECT_EQ(f.effectiveParams.at("calibration"), "inputs");
  for (std::int64_t i = 0; i < b.n; ++i) {
    // Reference: covariance eigenvectors of the calibration tokens (Eigen, double).
    const auto c = target(calibration, i);
    const Eigen::RowVectorXd mean = c.colwise().mean();
    const Matrix centred = c.rowwise() - mean;
    const Eigen::SelfAdjointEigenSolver<Matrix> eig(centred.transpose() * centred);
    const Matrix basis = eig.eigenvectors().rightCols(rank);
    const Matrix expected =
        ((target(b, i).rowwise() - mean) * basis * basis.transpose()).rowwise() + mean;
    EXPECT_LT((recon(f, i, b.t, b.d) - expected).norm(), 1e-4 * expected.norm()) << "target " << i;
    EXPECT_DOUBLE_EQ(f.targets[i].bytes.items.at("mean"), 12 * 4);
    EXPECT_DOUBLE_EQ(f.targets[i].bytes.items.at("basis"), 12 * rank * 4);
    EXPECT_DOUBLE_EQ(f.targets[i].bytes.items.at("coefficients"), 30 * rank * 4);
  }
  // Without calibration the target itself is used: at full rank that reconstructs it.
  const auto self = fit("pca", b, {{"rank", 12}, {"storage", "float32"}});
  EXPECT_EQ(self.effectiveParams.at("calibration"), "self");
  EXPECT_LT(relErr(b, self), 1e-5);
  TargetBatch wrong = gaussianBatch(2, 50, 10, 1);
  inputs.calibration = &wrong;
  expectInvalid("pca", b, {{"rank", 2}}, "calibration", inputs);
}

TEST(RandomProjection, IsAnOrthogonalProjectionReproducibleFromItsSeed) {
  const auto b = gaussianBatch(2, 20, 16, 5);
  const auto full =
      fit("random_projection", b, {{"rank", 16}, {"storage", "float32"}, {"seed", 9}});
  EXPECT_LT(relErr(b, full), 1e-5);  // an orthonormal basis of all dims: Q Q^T = I
  const auto f = fit("random_projection", b, {{"rank", 6}, {"storage", "float32"}, {"seed", 9}});
  const auto again =
      fit("random_projection", b, {{"rank", 6}, {"storage", "float32"}, {"seed", 9}});
  const auto other =
      fit("random_projection", b, {{"rank", 6}, {"storage", "float32"}, {"seed", 10}});
  EXPECT_EQ(f.targets[0].reconstruction, again.targets[0].reconstruction);
  EXPECT_NE(f.targets[0].reconstruction, other.targets[0].reconstruction);
  TargetBatch projected{b.n, b.t, b.d, {}};
  for (std::int64_t i = 0; i < b.n; ++i) {
    const auto x = target(b, i), p = recon(f, i, b.t, b.d);
    // Pythagoras: the residual is orthogonal to the projection.
    EXPECT_NEAR(p.squaredNorm() + (x - p).squaredNorm(), x.squaredNorm(), 1e-4 * x.squaredNorm());
    projected.data.insert(projected.data.end(), f.targets[i].reconstruction.begin(),
                          f.targets[i].reconstruction.end());
  }
  // Idempotent: projecting the projection changes nothing.
  const auto twice =
      fit("random_projection", projected, {{"rank", 6}, {"storage", "float32"}, {"seed", 9}});
  EXPECT_LT(relErr(projected, twice), 1e-5);
  // The seed comes from FitInputs unless given.
  FitInputs inputs;
  inputs.seed = 9;
  EXPECT_EQ(fit("random_projection", b, {{"rank", 6}, {"storage", "float32"}}, inputs)
                .targets[1]
                .reconstruction,
            f.targets[1].reconstruction);
  const auto f16 = fit("random_projection", b, {{"rank", 6}});
  const auto& items = f16.targets[0].bytes.items;
  EXPECT_DOUBLE_EQ(items.at("coefficients"), 20 * 6 * 2);
  EXPECT_DOUBLE_EQ(items.at("seed_regenerates_basis"), 8);
}

// ---- Fourier ------------------------------------------------------------------------------------

TEST(Fourier, AllBinsReconstructExactlyAndKeptTokensAreExactAlways) {
  const auto b = gaussianBatch(2, 41, 6, 21);
  for (const auto& [sink, recent] :
       std::vector<std::pair<int, int>>{{0, 0}, {3, 5}, {4, 6}, {20, 30}}) {
    const auto all =
        fit("fourier", b,
            {{"coeffs", 1000}, {"sink", sink}, {"recent", recent}, {"storage", "float32"}});
    EXPECT_LT(relErr(b, all), 1e-5) << sink << "/" << recent;
    const auto one = fit("fourier", b, {{"coeffs", 1}, {"sink", sink}, {"recent", recent}});
    const std::int64_t s = std::min<std::int64_t>(sink, 41),
                       r = std::min<std::int64_t>(recent, 41 - s);
    EXPECT_EQ(one.effectiveParams.at("recent"), r);
    for (std::int64_t i = 0; i < b.n; ++i)
      for (std::int64_t t = 0; t < b.t; ++t) {
        if (t >= s && t < b.t - r) continue;
        for (std::int64_t c = 0; c < b.d; ++c)
          ASSERT_EQ(one.targets[i].reconstruction[t * b.d + c],
                    half(b.data[(i * b.t + t) * b.d + c]));
      }
  }
}

TEST(Fourier, EdgeCasesKeepTheirShape) {
  const auto b = gaussianBatch(2, 9, 4, 17);
  const auto allDims =
      fit("fourier", b, {{"coeffs", 2}, {"exact_dims", 4}, {"storage", "float32"}});
  EXPECT_LT(relErr(b, allDims), 1e-7);
  EXPECT_DOUBLE_EQ(allDims.targets[0].bytes.items.at("coefficients"), 0);
  const auto none = fit("fourier", b, {{"coeffs", 0}, {"sink", 1}, {"recent", 1}});
  for (std::int64_t c = 0; c < b.d; ++c) EXPECT_EQ(none.targets[1].reconstruction[4 * b.d + c], 0);
  EXPECT_EQ(
      fit("fourier", gaussianBatch(1, 1, 4, 2), {{"coeffs", 3}}).targets[0].reconstruction.size(),
      4u);
  expectInvalid("fourier", TargetBatch{1, 3, 4, {}}, {{"coeffs", 1}}, "batch");
}

TEST(Fourier, MiddleIsTheTextbookLowPassAndBytesCountEachPart) {
  const auto b = gaussianBatch(1, 40, 8, 4);
  const int sink = 4, recent = 6, coeffs = 5, m = 30;
  const auto f =
      fit("fourier", b,
          {{"coeffs", coeffs}, {"sink", sink}, {"recent", recent}, {"storage", "float32"}});
  for (std::int64_t c = 0; c < b.d; ++c)
    for (int t = 0; t < m; ++t) {
      // Keep bins 0..coeffs-1 and their mirror images: x_t = (1/m) sum_f X_f e^{2 pi i f t / m}.
      std::complex<double> sum = 0;
      for (int fr = 0; fr < m; ++fr) {
        if (std::min(fr, m - fr) >= coeffs) continue;
        std::complex<double> bin = 0;
        for (int u = 0; u < m; ++u)
          bin += static_cast<double>(b.data[(sink + u) * b.d + c]) *
                 std::polar(1.0, -2 * M_PI * fr * u / m);
        sum += bin * std::polar(1.0, 2 * M_PI * fr * t / m);
      }
      EXPECT_NEAR(f.targets[0].reconstruction[(sink + t) * b.d + c], sum.real() / m, 1e-5);
    }
  const auto h = fit("fourier", b,
                     {{"coeffs", coeffs}, {"sink", sink}, {"recent", recent}, {"exact_dims", 2}});
  const auto& items = h.targets[0].bytes.items;
  EXPECT_DOUBLE_EQ(items.at("kept_tokens"), 10 * 6 * 2);
  EXPECT_DOUBLE_EQ(items.at("coefficients"), (2 * coeffs - 1) * 6 * 2);  // DC has no imaginary part
  EXPECT_DOUBLE_EQ(items.at("kept_dims"), 40 * 2 * 2);
  EXPECT_DOUBLE_EQ(items.at("dim_indices"), 2);
  // Every bin of an even-length middle: DC and Nyquist are real, m values in all.
  const auto every = fit("fourier", b, {{"coeffs", 16}, {"sink", sink}, {"recent", recent}});
  EXPECT_DOUBLE_EQ(every.targets[0].bytes.items.at("coefficients"), m * 8 * 2);
  expectInvalid("fourier", b, {{"sink", 2}}, "'coeffs'");
  expectInfeasible("fourier", b, {{"coeffs", 2}, {"exact_dims", 9}}, "'exact_dims'");
}

TEST(Fourier, ExactDimsFollowTheQueriesWhenGiven) {
  // Dim 1 is loud high-frequency noise; dim 5 mild noise; the queries only read dim 5.
  auto b = gaussianBatch(1, 64, 8, 8, 0.01f);
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 1.f);
  for (int t = 0; t < 64; ++t) b.data[t * 8 + 1] += 10 * g(rng), b.data[t * 8 + 5] += g(rng);
  const nlohmann::json params{
      {"coeffs", 4}, {"sink", 2}, {"recent", 2}, {"exact_dims", 1}, {"storage", "float32"}};
  const auto column = [&](const BatchFit& f, int c) {
    double err = 0;
    for (int t = 0; t < 64; ++t)
      err += std::abs(f.targets[0].reconstruction[t * 8 + c] - b.data[t * 8 + c]);
    return err;
  };
  const auto byEnergy = fit("fourier", b, params);
  EXPECT_EQ(byEnergy.effectiveParams.at("dim_selection"), "residual_energy");
  EXPECT_EQ(column(byEnergy, 1), 0);
  EXPECT_GT(column(byEnergy, 5), 1);
  TargetBatch q{2, 64, 8, std::vector<float>(2 * 64 * 8, 0.f)};
  for (int h = 0; h < 2; ++h)
    for (int t = 0; t < 64; ++t) q.data[(h * 64 + t) * 8 + 5] = 1.f;
  FitInputs inputs;
  inputs.queries = &q;
  inputs.queriesPerTarget = 2;
  inputs.kind = "K";
  const auto byQueries = fit("fourier", b, params, inputs);
  EXPECT_EQ(byQueries.effectiveParams.at("dim_selection"), "query_weighted_score_change");
  EXPECT_EQ(column(byQueries, 5), 0);
  EXPECT_GT(column(byQueries, 1), 10);
  // Values: the attention-output change, which needs the keys.
  inputs.kind = "V";
  inputs.keys = &b;
  EXPECT_EQ(fit("fourier", b, params, inputs).effectiveParams.at("dim_selection"),
            "attention_output_change");
}

// ---- uniform quantization -----------------------------------------------------------------------

// Largest |x - x^| over elements divided by the bound scale/2 of each element's group, where the
// scale covers the group's range over 2^bits - 1 steps (plus the float16 outward rounding).
double worstErrorOverHalfScale(const TargetBatch& b, const BatchFit& f, int bits, bool perChannel,
                               int group) {
  const double levels = std::pow(2.0, bits) - 1;
  const auto rows = perChannel ? b.d : b.t, len = perChannel ? b.t : b.d;
  double worst = 0;
  for (std::int64_t i = 0; i < b.n; ++i)
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t g0 = 0; g0 < len; g0 += group) {
        const auto at = [&](std::int64_t k) { return perChannel ? k * b.d + r : r * b.d + k; };
        double lo = INFINITY, hi = -INFINITY;
        for (auto k = g0; k < std::min(len, g0 + group); ++k) {
          lo = std::min<double>(lo, b.data[i * b.t * b.d + at(k)]);
          hi = std::max<double>(hi, b.data[i * b.t * b.d + at(k)]);
        }
        const double scale = (hi - lo + std::abs(lo) / 256 + 1e-6) / levels * (1 + 1.0 / 256);
        for (auto k = g0; k < std::min(len, g0 + group); ++k)
          worst = std::max(
              worst, std::abs(f.targets[i].reconstruction[at(k)] - b.data[i * b.t * b.d + at(k)]) /
                         (scale / 2 + 1e-6));
      }
  return worst;
}

TEST(Quant, ErrorIsWithinHalfAScalePerGroupAndShrinksWithBits) {
  const auto b = gaussianBatch(2, 30, 40, 13, 2.f);
  for (const auto& [axis, group] : std::vector<std::pair<std::string, int>>{
           {"token", 16}, {"token", 40}, {"channel", 8}, {"channel", 30}}) {
    double previous = 0;
    for (int bits : {8, 4, 2}) {
      const auto f = fit("quant", b, {{"bits", bits}, {"axis", axis}, {"group", group}});
      EXPECT_LE(worstErrorOverHalfScale(b, f, bits, axis == "channel", group), 1.0)
          << axis << " group " << group << " INT" << bits;
      const double err = relErr(b, f);
      EXPECT_GT(err, previous) << axis << " INT" << bits;
      previous = err;
    }
  }
  EXPECT_LT(relErr(b, fit("quant", b, {{"bits", 8}})), 0.01);
}

TEST(Quant, BytesCountPackedCodesScalesAndZeroPoints) {
  const auto b = gaussianBatch(1, 30, 40, 2);
  const auto f =
      fit("quant", b, {{"bits", 4}, {"axis", "token"}, {"group", 16}});  // 3 groups per token
  const auto& items = f.targets[0].bytes.items;
  EXPECT_DOUBLE_EQ(items.at("codes"), 30 * 40 * 4 / 8);
  EXPECT_DOUBLE_EQ(items.at("scales"), 30 * 3 * 2);
  EXPECT_DOUBLE_EQ(items.at("zero_points"), 30 * 3 * 2);
  const auto c =
      fit("quant", b, {{"bits", 2}, {"axis", "channel"}});  // whole rows: one group per dim
  EXPECT_EQ(c.effectiveParams.at("group"), 30);
  EXPECT_DOUBLE_EQ(c.targets[0].bytes.total(), 30 * 40 * 2 / 8 + 40 * 2 * 2);
  expectInvalid("quant", b, {{"bits", 3}}, "'bits'");
  expectInvalid("quant", b, {{"bits", 8}, {"axis", "row"}}, "'axis'");
  expectInfeasible("quant", b, {{"bits", 8}, {"axis", "token"}, {"group", 41}}, "'group'");
}

TEST(Quant, KiviQuantizesKeysPerChannelAndValuesPerToken) {
  const auto b = gaussianBatch(1, 24, 16, 6);
  FitInputs inputs;
  inputs.kind = "K";
  const auto keys = fit("quant", b, {{"bits", 4}, {"axis", "kivi"}}, inputs);
  EXPECT_EQ(keys.effectiveParams.at("kivi_axis"), "channel");
  EXPECT_EQ(keys.targets[0].reconstruction,
            fit("quant", b, {{"bits", 4}, {"axis", "channel"}}).targets[0].reconstruction);
  inputs.kind = "V";
  const auto values = fit("quant", b, {{"bits", 4}, {"axis", "kivi"}}, inputs);
  EXPECT_EQ(values.effectiveParams.at("kivi_axis"), "token");
  EXPECT_EQ(values.targets[0].reconstruction,
            fit("quant", b, {{"bits", 4}, {"axis", "token"}}).targets[0].reconstruction);
  expectInvalid("quant", b, {{"bits", 4}, {"axis", "kivi"}}, "'axis'");
}

// ---- mixed precision ----------------------------------------------------------------------------

struct AttentionCase {
  TargetBatch keys, queries;
  FitInputs inputs;
};

AttentionCase attentionCase() {
  AttentionCase a{gaussianBatch(2, 48, 16, 31), gaussianBatch(4, 48, 16, 32, 1.5f), {}};
  a.inputs.queries = &a.queries;
  a.inputs.queriesPerTarget = 2;
  a.inputs.kind = "K";
  return a;
}

// Per token: 2 when stored as float16, 1 when within INT8's half step of its row range, else 0.
std::vector<int> inferredLevels(const TargetBatch& b, const BatchFit& f, std::int64_t i) {
  std::vector<int> levels(b.t);
  for (std::int64_t t = 0; t < b.t; ++t) {
    bool fp16 = true;
    double lo = INFINITY, hi = -INFINITY, err = 0;
    for (std::int64_t c = 0; c < b.d; ++c) {
      const float x = b.data[(i * b.t + t) * b.d + c], y = f.targets[i].reconstruction[t * b.d + c];
      fp16 = fp16 && y == half(x);
      lo = std::min<double>(lo, x), hi = std::max<double>(hi, x),
      err = std::max<double>(err, std::abs(x - y));
    }
    levels[t] = fp16 ? 2 : err <= (hi - lo) / 255 * 0.51 + 1e-5 ? 1 : 0;
  }
  return levels;
}

TEST(MixedPrecision, RespectsTheBudgetAndGivesImportantTokensMorePrecision) {
  auto a = attentionCase();
  const auto& b = a.keys;
  const double raw = 48 * 16 * 2;
  double previous = INFINITY;
  for (double ratio : {2.5, 2.0, 1.5, 1.1}) {
    const auto f = fit("mixed_precision", b, {{"ratio", ratio}}, a.inputs);
    double weighted = 0;
    for (std::int64_t i = 0; i < b.n; ++i) {
      EXPECT_LE(f.targets[i].bytes.total(), raw / ratio) << "ratio " << ratio;
      EXPECT_DOUBLE_EQ(f.targets[i].bytes.items.at("level_indices"), 48 * 2 / 8);
      const auto importance = referenceImportance(a.queries, 2, b, i);
      const auto levels = inferredLevels(b, f, i);
      for (std::int64_t s = 0; s < b.t; ++s)
        for (std::int64_t u = 0; u < b.t; ++u)
          if (importance[s] > importance[u] + 1e-6)
            EXPECT_GE(levels[s], levels[u]) << "ratio " << ratio;
      const auto x = target(b, i), y = recon(f, i, b.t, b.d);
      for (std::int64_t s = 0; s < b.t; ++s)
        weighted += importance[s] * (x.row(s) - y.row(s)).squaredNorm();
    }
    EXPECT_LE(weighted, previous * (1 + 1e-9)) << "more budget, ratio " << ratio;  // never worse
    previous = weighted;
  }
  // Budget as a fraction equals the ratio's inverse.
  EXPECT_EQ(fit("mixed_precision", b, {{"budget", 0.5}}, a.inputs).targets[0].reconstruction,
            fit("mixed_precision", b, {{"ratio", 2}}, a.inputs).targets[0].reconstruction);
}

TEST(MixedPrecision, NeedsQueriesKeysForValuesAndAReachableBudget) {
  auto a = attentionCase();
  const auto values = gaussianBatch(2, 48, 16, 33);
  expectInvalid("mixed_precision", a.keys, {{"ratio", 2}}, "queries");
  expectInfeasible("mixed_precision", a.keys, {{"ratio", 4}}, "'ratio'",
                a.inputs);  // INT4 floor: 2.6x at D = 16
  expectInvalid("mixed_precision", a.keys, {{"ratio", 2}, {"budget", 0.5}}, "'ratio'", a.inputs);
  a.inputs.kind = "V";
  expectInvalid("mixed_precision", values, {{"ratio", 2}}, "inputs.keys", a.inputs);
  a.inputs.keys = &a.keys;
  const auto f = fit("mixed_precision", values, {{"ratio", 2}}, a.inputs);
  EXPECT_LT(relErr(values, f), 0.05);
}

// ---- hybrid -------------------------------------------------------------------------------------

TEST(Hybrid, DispatchesOnTheBatchKind) {
  const auto b = structuredBatch(1, 32, 16, 41);
  const nlohmann::json params{{"keys", {{"method", "svd"}, {"rank", 4}}},
                              {"values", {{"method", "quant"}, {"bits", 4}}}};
  FitInputs inputs;
  inputs.kind = "K";
  const auto k = fit("hybrid", b, params, inputs);
  EXPECT_TRUE(k.targets[0].bytes.items.count("U"));
  EXPECT_EQ(k.effectiveParams.at("keys").at("method"), "svd");
  EXPECT_EQ(k.effectiveParams.at("keys").at("storage"), "float16");
  EXPECT_EQ(k.targets[0].reconstruction, fit("svd", b, {{"rank", 4}}).targets[0].reconstruction);
  inputs.kind = "V";
  const auto v = fit("hybrid", b, params, inputs);
  EXPECT_TRUE(v.targets[0].bytes.items.count("codes"));
  EXPECT_EQ(v.effectiveParams.at("values").at("axis"), "token");
  inputs.kind = "";
  expectInvalid("hybrid", b, params, "kind", inputs);
  inputs.kind = "K";
  expectInvalid("hybrid", b, {{"keys", params["keys"]}}, "'values'", inputs);
  expectInvalid("hybrid", b, {{"keys", {{"rank", 2}}}, {"values", params["values"]}}, "'keys'",
                inputs);
}

// ---- real data: the demo project's keys and values ----------------------------------------------

TEST(RealData, DemoKeysAndValuesCompressSanely) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  const auto p = Project::open(demoProject());
  const auto& c = p.captures().front();
  ASSERT_TRUE(c.hasQueries);
  // Every target of the capture, with its query group, as the sweep batches them.
  TargetReader reader(p, c.name);
  std::vector<TargetRef> refs;
  for (int l = 0; l < c.layers; ++l)
    for (int h = 0; h < c.kvHeads; ++h) refs.push_back({l, h});
  const auto keyBatch = buildKindBatch(reader, refs, "K", c.tokens);
  const auto& keys = keyBatch.targets;
  const auto values = buildKindBatch(reader, refs, "V", c.tokens).targets;
  std::cout << "demo capture '" << c.name << "': " << keys.n << " targets of " << keys.t << " x "
            << keys.d << "\n";
  FitInputs in = keyBatch.fitInputs(0);
  const auto report = [](const std::string& what, const TargetBatch& b, const BatchFit& f) {
    const double ratio = 2.0 * b.t * b.d / f.targets[0].bytes.total();
    std::cout << "  " << what << ": ratio " << ratio << " cos " << meanCosine(b, f) << " rel_err "
              << relErr(b, f) << " fit " << f.fitSeconds * 1e3 << " ms decode " << f.decodeMs
              << " ms\n";
    return relErr(b, f);
  };
  for (auto* batch : {&keys, &values}) {
    const bool isKeys = batch == &keys;
    in.kind = isKeys ? "K" : "V";
    std::cout << (isKeys ? "keys" : "values") << "\n";
    const double r2 = report("svd rank 2", *batch, fit("svd", *batch, {{"rank", 2}}));
    const double r4 = report("svd rank 4", *batch, fit("svd", *batch, {{"rank", 4}}));
    EXPECT_LT(r4, r2);
    report("svd ratio 2 float32", *batch,
           fit("svd", *batch, {{"ratio", 2}, {"storage", "float32"}}));
    report("pca rank 4", *batch, fit("pca", *batch, {{"rank", 4}}, in));
    report("random_projection rank 4", *batch, fit("random_projection", *batch, {{"rank", 4}}));
    report("fourier coeffs 64 exact_dims 2", *batch,
           fit("fourier", *batch, {{"coeffs", 64}, {"exact_dims", 2}}, in));
    const auto int8 = fit("quant", *batch, {{"bits", 8}, {"axis", "kivi"}}, in);
    report("quant INT8 kivi", *batch, int8);
    EXPECT_GT(meanCosine(*batch, int8), 0.999);
    report("quant INT4 kivi", *batch, fit("quant", *batch, {{"bits", 4}, {"axis", "kivi"}}, in));
    // Per-token INT4 is mixed precision's floor (1.94x at D = 8); 1.6x buys precision where
    // the attention goes.
    const double e4 = report("quant INT4 token", *batch, fit("quant", *batch, {{"bits", 4}}, in));
    const double em = report("mixed_precision ratio 1.6", *batch,
                             fit("mixed_precision", *batch, {{"ratio", 1.6}}, in));
    EXPECT_LT(em, e4);
  }
}
