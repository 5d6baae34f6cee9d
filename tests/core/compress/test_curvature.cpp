// The HNF precision analyzer's curvature scores (query_attention.h curvatureScores) against torch
// autograd on real targets of the demo project, and mixed_precision's "importance" variants: each
// fits within its budget, "attention" is the default, and a more important token never gets less
// precision than a less important one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "core/compress/compressor.h"
#include "core/compress/group_quant.h"
#include "core/compress/query_attention.h"
#include "core/project/project.h"
#include "core/sweep/target_batch.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

constexpr std::int64_t kTokens = 32;

fs::path demoProject() { return fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw"; }

torch::Tensor tensorOf(const TargetBatch& b, torch::ScalarType dtype = torch::kFloat32) {
  return torch::from_blob(const_cast<float*>(b.data.data()), {b.n, b.t, b.d}, torch::kFloat32)
      .clone()
      .to(dtype);
}

// Keys or values of the demo's first capture: layer 0 head 0 and the last layer's last head,
// over the first kTokens tokens.
KindBatch demoBatch(const std::string& kind) {
  const auto p = Project::open(demoProject());
  const auto& c = p.capture("tinystories");
  TargetReader reader(p, c.name);
  return buildKindBatch(reader, {{0, 0}, {c.layers - 1, c.kvHeads - 1}}, kind, kTokens);
}

QueryKeys queryKeys(const KindBatch& b, torch::ScalarType dtype) {
  const auto g = b.queriesPerTarget;
  return {tensorOf(b.queries, dtype).view({b.targets.n, g, b.targets.t, b.targets.d}),
          tensorOf(b.keys, dtype)};
}

// Per position t of target n, the RMS over (head, query i >= t) of the Frobenius norms of
// d out_i / d X_t and d2 out_i / d X_t^2 (X: the keys or the values), by autograd in double.
std::pair<torch::Tensor, torch::Tensor> autogradScores(const QueryKeys& qk, const torch::Tensor& v,
                                                       std::int64_t n, bool wrtKeys) {
  const auto G = qk.q.size(1), T = qk.q.size(2), D = qk.q.size(3);
  auto k = qk.k[n].clone().set_requires_grad(wrtKeys);
  auto val = v[n].clone().set_requires_grad(!wrtKeys);
  const auto& x = wrtKeys ? k : val;
  auto grad2 = torch::zeros({T}, torch::kFloat64), hess2 = torch::zeros({T}, torch::kFloat64);
  for (std::int64_t g = 0; g < G; ++g)
    for (std::int64_t i = 0; i < T; ++i) {
      const auto qi = qk.q[n][g][i];
      const auto probs =
          torch::softmax(torch::matmul(k.narrow(0, 0, i + 1), qi) / std::sqrt(double(D)), 0);
      const auto out = torch::matmul(probs, val.narrow(0, 0, i + 1));  // [D]
      for (std::int64_t c = 0; c < D; ++c) {
        const auto jac = torch::autograd::grad({out[c]}, {x}, {}, true, wrtKeys)[0];  // [T, D]
        grad2 += jac.detach().pow(2).sum(1);
        if (!wrtKeys) continue;  // out is linear in V: its Hessian is 0
        for (std::int64_t t = 0; t <= i; ++t)
          for (std::int64_t e = 0; e < D; ++e) {
            const auto row = torch::autograd::grad({jac[t][e]}, {x}, {}, true, false, true)[0];
            if (row.defined()) hess2[t] += row[t].pow(2).sum();
          }
      }
    }
  const auto seen = (T - torch::arange(T, torch::kFloat64)) * static_cast<double>(G);
  return {(grad2 / seen).sqrt(), (hess2 / seen).sqrt()};
}

void expectClose(const torch::Tensor& closed, const torch::Tensor& reference,
                 const std::string& what) {
  const double scale = reference.abs().max().item<double>();
  if (scale == 0) {  // a value target's Hessian
    EXPECT_EQ(closed.abs().max().item<double>(), 0) << what;
    return;
  }
  const double worst =
      ((closed - reference).abs() / reference.abs().clamp_min(1e-12 * scale)).max().item<double>();
  std::cout << what << ": worst relative difference to autograd " << worst << "\n";
  EXPECT_LT(worst, 1e-6) << what;
}

BatchFit fitMixed(const KindBatch& b, const nlohmann::json& params) {
  JobContext ctx;
  return makeCompressor("mixed_precision")->fit(b.targets, params, b.fitInputs(0), "cpu", ctx);
}

// Each token's level in a per-token mixed_precision fit (group 0): 2 = FP16, 1 = INT8, 0 = INT4,
// from which of the three reconstructions its row equals.
torch::Tensor levelsOf(const TargetBatch& b, const BatchFit& f) {
  const auto x = tensorOf(b);
  std::vector<float> flat;
  for (const auto& t : f.targets)
    flat.insert(flat.end(), t.reconstruction.begin(), t.reconstruction.end());
  const auto recon = torch::from_blob(flat.data(), {b.n, b.t, b.d}, torch::kFloat32).clone();
  const auto same = [&](const torch::Tensor& y) { return (recon == y).all(-1); };
  const auto fp16 = same(x.to(torch::kFloat16).to(torch::kFloat32));
  const auto int8 = same(dequantizeGroups(quantizeGroups(x, 8, 0)));
  const auto int4 = same(dequantizeGroups(quantizeGroups(x, 4, 0)));
  EXPECT_TRUE((fp16 | int8 | int4).all().item<bool>()) << "a token at none of the three levels";
  return fp16.to(torch::kLong) * 2 + (int8 & fp16.logical_not()).to(torch::kLong);
}

}  // namespace

TEST(Curvature, ClosedFormMatchesAutogradOnDemoTargets) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  for (const char* kind : {"K", "V"}) {
    const bool keys = std::string(kind) == "K";
    const auto b = demoBatch(kind);
    ASSERT_TRUE(b.hasQueries);
    const auto qk = queryKeys(b, torch::kFloat64);
    const auto v = tensorOf(b.values, torch::kFloat64);
    const auto closed = curvatureScores(qk, v, keys);
    EXPECT_TRUE(torch::allclose(closed.attention, attentionImportance(qk)));
    // Autograd on the last layer's target (about 70k backward passes for a key target's Hessian).
    const auto n = b.targets.n - 1;
    const std::string what = std::string(kind) + " L" + std::to_string(b.refs[n].layer) + " H" +
                             std::to_string(b.refs[n].head);
    const auto [grad, hess] = autogradScores(qk, v, n, keys);
    expectClose(closed.gradient[n], grad, what + " gradient");
    expectClose(closed.hessian[n], hess, what + " hessian");
  }
}

TEST(Curvature, MixedPrecisionImportanceVariants) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  for (const char* kind : {"K", "V"}) {
    const bool keys = std::string(kind) == "K";
    const auto b = demoBatch(kind);
    const nlohmann::json base = {{"ratio", 1.6}};
    const double budget = 2.0 * b.targets.t * b.targets.d / 1.6;
    const auto byDefault = fitMixed(b, base);
    const auto qk = queryKeys(b, torch::kFloat32);
    const auto scores = curvatureScores(qk, tensorOf(keys ? b.values : b.targets), keys);
    for (const char* importance : {"attention", "gradient", "hessian", "hybrid"}) {
      SCOPED_TRACE(std::string(kind) + " importance " + importance);
      auto params = base;
      params["importance"] = importance;
      const auto f = fitMixed(b, params);
      EXPECT_EQ(f.effectiveParams.at("importance"), importance);
      for (std::size_t n = 0; n < f.targets.size(); ++n) {
        EXPECT_LE(f.targets[n].bytes.total(), budget);
        if (std::string(importance) == "attention")
          EXPECT_EQ(f.targets[n].reconstruction, byDefault.targets[n].reconstruction);
      }
      // Monotone: strictly more important never means a lower level.
      const std::string name = importance;
      const auto score = name == "attention"           ? scores.attention
                         : name == "gradient" || !keys ? scores.gradient
                         : name == "hessian"           ? scores.hessian
                                                       : scores.hybrid();
      const auto level = levelsOf(b.targets, f);
      const auto more = score.unsqueeze(2) > score.unsqueeze(1);  // [N, T, T]: s_a > s_b
      const auto less = level.unsqueeze(2) < level.unsqueeze(1);  // level_a < level_b
      EXPECT_FALSE((more & less).any().item<bool>());
      EXPECT_GT(level.sum().item<std::int64_t>(), 0) << "the budget buys no precision";
    }
  }
}
