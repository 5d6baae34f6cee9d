// Learned compressors ("siren", "kvsplice"): batching does not mix targets, the seed's parameter
// count, fits on the demo project's real K/V, the monotonic transform, cancellation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "core/compress/compressor.h"
#include "core/compress/monotonic_transform.h"
#include "core/project/project.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

// AR(1) in time per dim, coefficient rho: a smooth synthetic target batch.
TargetBatch ar1Batch(std::int64_t n, std::int64_t t, std::int64_t d, float rho, unsigned seed) {
  TargetBatch b{n, t, d, std::vector<float>(static_cast<std::size_t>(n * t * d))};
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < d; ++k) {
      float x = g(rng);
      for (std::int64_t s = 0; s < t; ++s) b.data[(i * t + s) * d + k] = x = rho * x + g(rng);
    }
  return b;
}

fs::path demoProject() { return fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw"; }

// Heads 0 of layers [0, L) of the demo's first capture, of one kind.
TargetBatch demoTargets(TensorKind kind, std::int64_t layers) {
  const auto p = Project::open(demoProject());
  const auto& c = p.captures().front();
  TargetBatch b{std::min(layers, c.layers), c.tokens, c.headDim, {}};
  for (std::int64_t l = 0; l < b.n; ++l) {
    const auto m = p.readTarget(c.name, kind, l, 0);
    b.data.insert(b.data.end(), m.data.begin(), m.data.end());
  }
  return b;
}

double meanCosine(const TargetBatch& b, const BatchFit& fit) {
  double sum = 0;
  for (std::int64_t i = 0; i < b.n; ++i)
    for (std::int64_t s = 0; s < b.t; ++s) {
      double dot = 0, na = 0, nb = 0;
      for (std::int64_t k = 0; k < b.d; ++k) {
        const double x = b.data[(i * b.t + s) * b.d + k], y = fit.targets[i].reconstruction[s * b.d + k];
        dot += x * y, na += x * x, nb += y * y;
      }
      sum += dot / std::sqrt(std::max(na * nb, 1e-30));
    }
  return sum / static_cast<double>(b.n * b.t);
}

double relativeError(const TargetBatch& b, const BatchFit& fit) {
  double err = 0, ref = 0;
  for (std::int64_t i = 0; i < b.n; ++i)
    for (std::int64_t j = 0; j < b.t * b.d; ++j) {
      const double x = b.data[i * b.t * b.d + j], e = fit.targets[i].reconstruction[j] - x;
      err += e * e, ref += x * x;
    }
  return std::sqrt(err / ref);
}

BatchFit fit(const std::string& method, const TargetBatch& b, const nlohmann::json& params) {
  JobContext ctx;
  FitInputs in;
  in.seed = 7;
  return makeCompressor(method)->fit(b, params, in, "cpu", ctx);
}

void expectSameFits(const BatchFit& a, const BatchFit& b) {
  ASSERT_EQ(a.targets.size(), b.targets.size());
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    const auto &ca = a.targets[i].lossCurve, &cb = b.targets[i].lossCurve;
    ASSERT_EQ(ca.size(), cb.size()) << "target " << i;
    for (std::size_t e = 0; e < ca.size(); ++e) EXPECT_NEAR(ca[e], cb[e], 1e-4 * std::abs(cb[e]) + 1e-7) << "target " << i << " epoch " << e;
    for (std::size_t j = 0; j < a.targets[i].reconstruction.size(); ++j)
      ASSERT_NEAR(a.targets[i].reconstruction[j], b.targets[i].reconstruction[j], 1e-3) << "target " << i;
  }
}

}  // namespace

TEST(Siren, BatchedTrainingEqualsOneNetworkAtATime) {
  const auto b = ar1Batch(3, 64, 8, 0.9f, 1);
  // batch_size 3: all together (the CPU's automatic choice is one at a time).
  const nlohmann::json p = {{"config", "tiny"}, {"epochs", 40}, {"lr", 1e-3}, {"batch_size", 3}};
  auto seq = p;
  seq["batched"] = false;
  const auto batched = fit("siren", b, p), sequential = fit("siren", b, seq);
  expectSameFits(batched, sequential);
  auto grouped = p;
  grouped["batch_size"] = 2;  // groups {0, 1}, {2}: a target's init does not depend on its group
  expectSameFits(fit("siren", b, grouped), sequential);
  // The targets differ, so their curves do: nothing leaked between them.
  EXPECT_NE(batched.targets[0].lossCurve.back(), batched.targets[1].lossCurve.back());
}

TEST(Siren, EarlyStopKeepsEachTargetsStoppingEpoch) {
  auto b = ar1Batch(3, 64, 8, 0.9f, 2);
  for (std::size_t j = 64 * 8; j < 2 * 64 * 8; ++j) b.data[j] = 0.5f;  // target 1 is constant: stops first
  const nlohmann::json p = {{"config", "tiny"}, {"epochs", 200}, {"lr", 1e-3}, {"early_stop", 0.02}, {"patience", 5}};
  auto seq = p;
  seq["batched"] = false;
  const auto batched = fit("siren", b, p), sequential = fit("siren", b, seq);
  expectSameFits(batched, sequential);
  EXPECT_LT(batched.targets[1].lossCurve.size(), 200u);
}

TEST(Siren, MediumConfigAtHeadDim128HasTheSeedsParameterCount) {
  const auto b = ar1Batch(1, 16, 128, 0.5f, 3);
  const auto f32 = fit("siren", b, {{"config", "medium"}, {"epochs", 1}});
  const auto& items = f32.targets[0].bytes.items;
  EXPECT_EQ(items.at("weights") + items.at("biases"), 164992.0 * 4);
  EXPECT_EQ(items.at("normalisation"), 2 * 128 * 4);  // the seed's per-dim mean and std
  EXPECT_EQ(f32.targets[0].bytes.total(), (164992.0 + 256) * 4);
  EXPECT_EQ(f32.effectiveParams["width"], 256);
  EXPECT_EQ(f32.effectiveParams["depth"], 2);
  EXPECT_EQ(f32.effectiveParams["omega0"], 30.0);
  const auto f16 = fit("siren", b, {{"config", "medium"}, {"epochs", 1}, {"storage", "float16"}});
  EXPECT_EQ(f16.targets[0].bytes.total(), (164992.0 + 256) * 2);
  EXPECT_THROW(fit("siren", b, {{"config", "huge"}}), std::invalid_argument);
  EXPECT_THROW(fit("siren", b, {{"epochs", 0}}), std::invalid_argument);
  EXPECT_THROW(fit("siren", b, {{"batched", 1}}), std::invalid_argument);
}

TEST(Learned, UnknownParametersAreRejectedNotIgnored) {
  // A typo must not silently train 2000 epochs at the default.
  const auto b = ar1Batch(1, 16, 8, 0.5f, 3);
  for (const char* method : {"siren", "kvsplice"}) {
    try {
      fit(method, b, {{"epoch", 5}});
      ADD_FAILURE() << method << " accepted 'epoch'";
    } catch (const std::invalid_argument& e) {
      const std::string text = e.what();
      EXPECT_EQ(text.rfind(std::string(method) + ": parameter 'epoch' is unknown (did you mean 'epochs'?)", 0), 0u)
          << text;
    }
  }
}

TEST(Siren, FitsRealKeysBetterThanValues) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  const auto keys = demoTargets(TensorKind::Keys, 5), values = demoTargets(TensorKind::Values, 5);
  // "tiny" and lr 1e-3 (the seed: medium, 1e-4, 2000 epochs) to fit this CPU's test budget.
  const nlohmann::json p = {{"config", "tiny"}, {"epochs", 300}, {"lr", 1e-3}};
  const auto fk = fit("siren", keys, p), fv = fit("siren", values, p);
  for (const auto* f : {&fk, &fv})
    for (const auto& t : f->targets) {
      const auto& c = t.lossCurve;
      ASSERT_EQ(c.size(), 300u);
      EXPECT_LT(c.back(), 0.9 * c.front());
      // Monotonic-ish: each 30-epoch window's mean is below the previous one's.
      for (std::size_t w = 30; w + 30 <= c.size(); w += 30) {
        double prev = 0, cur = 0;
        for (std::size_t e = 0; e < 30; ++e) prev += c[w - 30 + e], cur += c[w + e];
        EXPECT_LT(cur, prev * 1.02) << "window at epoch " << w;
      }
    }
  const double ck = meanCosine(keys, fk), cv = meanCosine(values, fv);
  std::printf("demo layers 0-4 head 0, tiny config, 300 epochs: keys cos %.4f, values cos %.4f\n", ck, cv);
  EXPECT_GT(ck, cv);
  EXPECT_GT(ck, 0.8);
}

TEST(Kvsplice, ReconstructionImprovesWithRank) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  const auto keys = demoTargets(TensorKind::Keys, 2);
  double previous = INFINITY;
  for (int rank : {1, 2, 4, 8}) {
    const auto f = fit("kvsplice", keys, {{"rank", rank}, {"epochs", 200}, {"terms", 2}});
    const double err = relativeError(keys, f);
    std::printf("kvsplice rank %d: relative error %.4f, bytes %.0f\n", rank, err, f.targets[0].bytes.total());
    EXPECT_LT(err, previous) << "rank " << rank;
    previous = err;
    EXPECT_EQ(f.targets[0].bytes.items.at("coefficients"), keys.t * rank * 4.0);
    EXPECT_EQ(f.targets[0].bytes.items.at("basis"), rank * keys.d * 4.0);
    EXPECT_EQ(f.targets[0].bytes.items.at("transform"), (keys.d * (2 + 3 * 2) + 1) * 4.0);
  }
  EXPECT_LT(previous, 0.1);  // full rank: close to exact
}

TEST(Kvsplice, BatchedTrainingEqualsOneNetworkAtATime) {
  const auto b = ar1Batch(3, 64, 8, 0.7f, 4);
  const nlohmann::json p = {{"rank", 3}, {"epochs", 40}, {"terms", 1}, {"batch_size", 3}};
  auto seq = p;
  seq["batched"] = false;
  expectSameFits(fit("kvsplice", b, p), fit("kvsplice", b, seq));
}

TEST(Kvsplice, TransformIsMonotonicAndInvertible) {
  torch::manual_seed(5);
  learned::MonotonicTransform f(2, 16, 3, torch::kCPU);
  {
    torch::NoGradGuard noGrad;
    for (auto& p : f.parameters()) p.normal_(0, 3);  // far from the initial values
  }
  const auto x = torch::linspace(-20, 20, 4001).view({1, -1, 1}).expand({2, 4001, 16}).clone().requires_grad_(true);
  const auto y = f.forward(x);
  const auto dydx = torch::autograd::grad({y.sum()}, {x})[0];
  EXPECT_GT(dydx.min().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(dydx, f.derivative(x), 1e-4, 1e-5));
  EXPECT_GT((y.narrow(1, 1, 4000) - y.narrow(1, 0, 4000)).min().item<double>(), 0.0);
  EXPECT_LT((f.inverse(y) - x).abs().max().item<double>(), 1e-3);
}

TEST(Learned, CancellationStopsTraining) {
  struct CancelAfter : JobContext {
    mutable int calls = 0;
    bool cancelled() const override { return ++calls > 5; }
  };
  const auto b = ar1Batch(2, 32, 8, 0.9f, 5);
  FitInputs in;
  for (const auto& method : {"siren", "kvsplice"}) {
    CancelAfter ctx;
    auto c = makeCompressor(method);
    EXPECT_THROW(c->fit(b, {{"epochs", 1000000}}, in, "cpu", ctx), Cancelled) << method;
    EXPECT_EQ(ctx.calls, 6) << method;  // once per epoch, stopped at the first cancelled check
  }
}
