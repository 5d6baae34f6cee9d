// Decode cost (issue 19). The raw cache's bytes per step against every key and value of a real
// capture counted one by one; every registered method's decode model against its own
// reconstruct-then-attend mode and the kernels' actual buffers; per-job costs of a real sweep
// against the bytes of what each job stored; and every compressed-domain decode kernel against
// dense attention, in double precision, on its own reconstruction (relative error of the output
// under kKernelTolerance), on the demo's real keys, values and queries and on a synthetic
// 128-dim cache whose length (3000) is no multiple of any block size.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/decode/decode_cost_report.h"
#include "core/decode/dense_stores.h"
#include "core/decode/fourier_store.h"
#include "core/decode/kivi_stores.h"
#include "core/decode/lowrank_store.h"
#include "core/decode/simd_kernels.h"
#include "core/decode/siren_store.h"
#include "core/sweep/sweep.h"
#include "test_util.h"

using namespace kvwb::core;
using namespace kvwb::core::decode;

namespace {

// float32 accumulation and a float32 exponential (relative error 2e-7) against double.
constexpr double kKernelTolerance = 1e-4;

std::filesystem::path demoProject() { return kvwb::test::sourceDir() / "datasets/demo.kvw"; }

FloatMatrix matrixOf(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat32).contiguous();
  return {c.size(0), c.size(1), {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()}};
}

// One KV head's keys and values [L, D] and its group's G queries [G, D].
struct Case {
  std::string name;
  FloatMatrix keys, values;
  std::vector<float> queries;
  std::int64_t groups = 1;
};

// The demo capture's layer 2, KV head 1, and the last token's queries of its two query heads.
Case demoCase() {
  const auto p = Project::open(demoProject());
  const auto& c = p.capture("tinystories");
  const std::int64_t layer = 2, kvHead = 1;
  Case out{"demo tinystories L2 H1", p.readTarget(c.name, TensorKind::Keys, layer, kvHead),
           p.readTarget(c.name, TensorKind::Values, layer, kvHead), {}, c.queryHeads / c.kvHeads};
  for (std::int64_t g = 0; g < out.groups; ++g) {
    const auto q = p.readTarget(c.name, TensorKind::Queries, layer, kvHead * out.groups + g);
    out.queries.insert(out.queries.end(), q.data.end() - q.cols, q.data.end());
  }
  return out;
}

// AR(1) rows along the tokens (keys lag 0.9, values 0.3) with per-dim scales, random queries.
Case syntheticCase() {
  torch::manual_seed(19);
  const std::int64_t L = 3000, D = 128;
  const auto ar1 = [&](double a) {
    auto noise = torch::randn({L, D});
    auto x = torch::empty({L, D});
    x[0] = noise[0];
    for (std::int64_t t = 1; t < L; ++t) x[t] = a * x[t - 1] + std::sqrt(1 - a * a) * noise[t];
    return x * torch::linspace(0.2, 3.0, D) + torch::linspace(-1.0, 1.0, D);
  };
  return {"synthetic 3000 x 128", matrixOf(ar1(0.9)), matrixOf(ar1(0.3)), matrixOf(torch::randn({4, D})).data, 4};
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {demoCase(), syntheticCase()};
  return all;
}

// softmax(q K^T / sqrt(D)) V in double, over the rows `keep` allows (all when empty).
std::vector<double> referenceAttention(const Case& c, const FloatMatrix& k, const FloatMatrix& v,
                                       const std::vector<bool>& keep = {}) {
  const auto D = k.cols;
  std::vector<double> out(static_cast<std::size_t>(c.groups * D), 0.0);
  for (std::int64_t g = 0; g < c.groups; ++g) {
    std::vector<double> s(static_cast<std::size_t>(k.rows), -INFINITY);
    double top = -INFINITY;
    for (std::int64_t j = 0; j < k.rows; ++j) {
      if (!keep.empty() && !keep[j]) continue;
      double dot = 0;
      for (std::int64_t d = 0; d < D; ++d) dot += static_cast<double>(c.queries[g * D + d]) * k.at(j, d);
      s[j] = dot / std::sqrt(static_cast<double>(D));
      top = std::max(top, s[j]);
    }
    double sum = 0;
    for (auto& x : s) sum += (x = std::exp(x - top));
    for (std::int64_t j = 0; j < k.rows; ++j)
      for (std::int64_t d = 0; d < D; ++d) out[g * D + d] += s[j] / sum * v.at(j, d);
  }
  return out;
}

std::vector<float> attend(const KeyStore& keys, const ValueStore& values, const Case& c) {
  std::vector<float> out(static_cast<std::size_t>(c.groups * keys.dims()));
  DecodeScratch scratch;
  attendStep(keys, values, c.queries.data(), c.groups, out.data(), scratch);
  return out;
}

double relativeError(const std::vector<float>& got, const std::vector<double>& want) {
  double err = 0, norm = 0;
  for (std::size_t i = 0; i < want.size(); ++i) err += std::pow(got[i] - want[i], 2), norm += want[i] * want[i];
  return std::sqrt(err / norm);
}

double relativeError(const FloatMatrix& got, const FloatMatrix& want) {
  return relativeError(got.data, std::vector<double>(want.data.begin(), want.data.end()));
}

// The kernel pair's output against dense attention on the rows they reconstruct.
void expectMatchesDense(const KeyStore& keys, const ValueStore& values, const Case& c) {
  const auto want = referenceAttention(c, keys.reconstruct(), values.reconstruct());
  EXPECT_LT(relativeError(attend(keys, values, c), want), kKernelTolerance)
      << keys.name() << " / " << values.name() << " on " << c.name;
}

float asHalf(float x) { return simd::halfToFloat(simd::floatToHalf(x)); }

}  // namespace

TEST(DecodeCost, RawCacheReadsEveryKeyAndValueOnceAtFloat16) {
  const auto p = Project::open(demoProject());
  for (const auto& c : p.captures()) {
    double counted = 0;  // every stored key and value, 2 bytes each
    for (std::int64_t l = 0; l < c.layers; ++l)
      for (std::int64_t h = 0; h < c.kvHeads; ++h)
        for (const auto kind : {TensorKind::Keys, TensorKind::Values})
          counted += 2.0 * static_cast<double>(p.readTarget(c.name, kind, l, h).data.size());
    EXPECT_EQ(rawCacheStep(cacheShape(c), c.tokens).bytes, counted) << c.name;
    EXPECT_EQ(counted, static_cast<double>(c.layers * c.kvHeads) * 2 * c.tokens * c.headDim * 2);
    const auto report = decodeCostOfMethods(c, c.tokens, datasheetProfiles().front());
    EXPECT_EQ(report.rows.front().cost.bytes, counted);
    EXPECT_DOUBLE_EQ(report.rows.front().speedup, 1.0);
  }
}

TEST(DecodeCost, EveryMethodDeclaresItsDecodeStepAndItsReconstructThenAttendStep) {
  const DecodeShape base{4096, 128, 4};
  const double L = 4096, D = 128, G = 4;
  for (const auto* method : methodDescriptors()) {
    ASSERT_TRUE(method->decodeCost) << method->name << " declares no decode cost";
    if (method->generated) continue;  // no default grid (an allocation: tests/core/compress)
    for (const auto& point : expandGrid(method->defaultGrid)) {
      const auto what = method->name + " " + point.dump();
      double bothKinds = 0;
      for (const auto kind : {KvKind::Keys, KvKind::Values}) {
        auto shape = base;
        shape.kind = kind;
        const auto direct = estimateDecodeCost(*method, point, shape);
        shape.reconstruct = true;
        const auto rebuilt = estimateDecodeCost(*method, point, shape);
        EXPECT_GT(direct.bytes, 0) << what;
        EXPECT_GT(direct.flops, 0) << what;
        EXPECT_GE(direct.elementwiseOps, 0) << what;
        // The same representation is read, plus its reconstruction written and read back.
        EXPECT_NEAR(rebuilt.bytes - direct.bytes, 2 * L * D * 2, 1e-6 * rebuilt.bytes) << what;
        EXPECT_GE(rebuilt.flops, 2 * G * L * D) << what;
        bothKinds += direct.bytes;
      }
      // A step reads at least what a key and a value target store.
      EXPECT_GE(bothKinds, 2 * estimateBytes(*method, point, {4096, 128}) * (1 - 1e-12)) << what;
    }
  }
  // A hybrid reads each kind through its own method.
  const auto& hybrid = methodDescriptor("hybrid");
  const nlohmann::json params = {{"keys", {{"method", "svd"}, {"rank", 8}}},
                                 {"values", {{"method", "quant"}, {"bits", 4}}}};
  auto shape = base;
  EXPECT_EQ(estimateDecodeCost(hybrid, params, shape).bytes,
            estimateDecodeCost(methodDescriptor("svd"), {{"rank", 8}}, shape).bytes);
  shape.kind = KvKind::Values;
  EXPECT_EQ(estimateDecodeCost(hybrid, params, shape).flops,
            estimateDecodeCost(methodDescriptor("quant"), {{"bits", 4}}, shape).flops);
}

TEST(DecodeCost, ModelBytesAreWhatTheKernelsRead) {
  const auto& c = cases()[1];
  const auto L = c.keys.rows, D = c.keys.cols;
  DecodeShape keys{L, D, c.groups, KvKind::Keys}, values{L, D, c.groups, KvKind::Values};
  const auto modelBytes = [](const char* method, const nlohmann::json& params, const DecodeShape& s) {
    return estimateDecodeCost(methodDescriptor(method), params, s).bytes;
  };
  EXPECT_EQ(denseDecodeCost(keys, 2).bytes, DenseF16(c.keys).bytes());
  EXPECT_EQ(modelBytes("svd", {{"rank", 16}}, keys), LowRankStore(c.keys, 16).bytes());
  for (const int bits : {8, 4}) {
    const nlohmann::json kivi = {{"bits", bits}, {"axis", "kivi"}, {"group", 128}};
    EXPECT_EQ(modelBytes("quant", kivi, keys), KiviKeyStore(c.keys, bits, 128).bytes()) << bits;
    const nlohmann::json perToken = {{"bits", bits}, {"axis", "kivi"}, {"group", 32}};
    EXPECT_EQ(modelBytes("quant", perToken, values), KiviValueStore(c.values, bits, 32).bytes()) << bits;
  }
  EXPECT_EQ(modelBytes("fourier", {{"coeffs", 100}, {"sink", 4}, {"recent", 16}}, keys),
            FourierStore(c.keys, 4, 16, 100).bytes());
  const nlohmann::json siren = {{"config", "tiny"}, {"width", 32}, {"depth", 2}, {"storage", "float32"}};
  EXPECT_EQ(modelBytes("siren", siren, keys), SirenStore(SirenNet::initialised(D, 32, 2, 30, 1), L).bytes());
}

TEST(DecodeCost, PerJobCostsOfARealSweepCountWhatEachJobCompressed) {
  kvwb::test::TempDir dir;
  std::filesystem::copy_file(demoProject(), dir / "p.kvw");
  const auto spec = parseSweepSpec(nlohmann::json::parse(R"({
    "name": "dc", "captures": ["tinystories"],
    "targets": {"layers": [0, 3], "heads": "all", "kinds": ["K", "V"]}, "seq_lengths": [256],
    "methods": [{"method": "svd", "grid": {"rank": [1, 2]}},
                {"method": "quant", "params": {"axis": "kivi"}, "grid": {"bits": [4]}}],
    "metrics": {"attention": false, "delta_ppl": "none", "quality": "none"}, "device": "cpu", "seed": 1})"), "dc.json");
  JobContext ctx;
  runSweep(dir / "p.kvw", spec, ctx);
  const auto p = Project::open(dir / "p.kvw");
  const auto& c = p.capture("tinystories");
  const std::int64_t L = 1024;
  const double D = static_cast<double>(c.headDim), targets = 2.0 * c.layers * c.kvHeads;
  const double fitted = 2.0 * 2 * c.kvHeads;  // 2 layers x KV heads, keys and values
  const double raw = L * D * 2;               // one target of the raw cache
  const auto h100 = deviceProfile("h100");
  const auto report = decodeCostOfRuns(p, p.runs(), L, h100);
  ASSERT_EQ(report.rows.size(), 4u);  // raw, svd rank 1 and 2, quant 4 bits
  EXPECT_EQ(report.rows[0].cost.bytes, targets * raw);
  for (const auto& row : report.rows) {
    if (row.method == "raw float16") continue;
    EXPECT_EQ(row.compressedTargets, fitted) << row.params;
    EXPECT_EQ(row.targets, targets);
    const auto params = nlohmann::json::parse(row.paramsJson);
    // What each job stored per target at L tokens: U, S, V at float16; packed 4-bit codes plus a
    // float16 scale and zero point per channel (keys) or per token (values).
    const double stored = row.method == "svd" ? (L + D + 1) * params["rank"].get<double>() * 2
                                              : (L * D / 2 + D * 4 + L * D / 2 + L * 4) / 2;
    EXPECT_DOUBLE_EQ(row.cost.bytes, (targets - fitted) * raw + fitted * stored) << row.params;
    ASSERT_TRUE(row.predicted.memoryBound() && report.rows[0].predicted.memoryBound());
    EXPECT_DOUBLE_EQ(row.speedup, report.rows[0].cost.bytes / row.cost.bytes) << row.params;
  }
}

TEST(DecodeKernels, HalfConversionRoundsAsLibTorchDoes) {
  torch::manual_seed(3);
  auto x = torch::cat({torch::randn({4000}) * torch::logspace(-9, 4.8, 4000), torch::tensor({0.0f, -0.0f, 65504.0f,
                                                                                              65519.0f, 5.96e-8f})});
  const auto h = x.to(torch::kFloat16);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const float v = x[i].item<float>();
    Half want;
    std::memcpy(&want, h.data_ptr<at::Half>() + i, 2);
    ASSERT_EQ(simd::floatToHalf(v), want) << v;
    ASSERT_EQ(simd::halfToFloat(want), h[i].item<float>()) << v;
  }
}

TEST(DecodeKernels, DenseFloat32AndFloat16) {
  for (const auto& c : cases()) {
    expectMatchesDense(DenseF32(c.keys), DenseF32(c.values), c);
    const DenseF16 k(c.keys), v(c.values);
    expectMatchesDense(k, v, c);
    const auto rebuilt = k.reconstruct();
    for (std::size_t i = 0; i < rebuilt.data.size(); ++i)
      ASSERT_LE(std::fabs(rebuilt.data[i] - c.keys.data[i]), std::fabs(c.keys.data[i]) * 0x1p-11 + 0x1p-25);
  }
}

TEST(DecodeKernels, LowRankWithoutReconstructionAndReconstructThenAttend) {
  for (const auto& c : cases()) {
    const auto D = c.keys.cols;
    for (const std::int64_t rank : {std::int64_t{2}, D / 2, D}) {
      auto k = std::make_shared<LowRankStore>(c.keys, rank), v = std::make_shared<LowRankStore>(c.values, rank);
      expectMatchesDense(*k, *v, c);
      expectMatchesDense(MaterialisedStore(k), MaterialisedStore(v), c);
      // Eckart-Young: the truncation error is the norm of the dropped singular values.
      const auto sv = torch::linalg_svdvals(torch::from_blob(const_cast<float*>(c.keys.data.data()), {c.keys.rows, D}));
      const double tail = sv.narrow(0, rank, D - rank).pow(2).sum().sqrt().item<double>() / sv.pow(2).sum().sqrt().item<double>();
      EXPECT_NEAR(relativeError(k->reconstruct(), c.keys), tail, 3e-3) << c.name << " rank " << rank;
    }
  }
}

TEST(DecodeKernels, KiviInt8AndInt4WithFusedDequantisation) {
  for (const auto& c : cases()) {
    const auto L = c.keys.rows, D = c.keys.cols;
    const std::int64_t tokenGroup = L > 1000 ? 128 : 0, dimGroup = D >= 64 ? 32 : 0;
    for (const int bits : {8, 4}) {
      const KiviKeyStore k(c.keys, bits, tokenGroup);
      const KiviValueStore v(c.values, bits, dimGroup);
      expectMatchesDense(k, v, c);
      // Every value within half a step of its group's grid (float16 scales rounded outward).
      const auto check = [&](const FloatMatrix& x, const FloatMatrix& rebuilt, bool perChannel, std::int64_t group) {
        const auto len = perChannel ? L : D, g = group == 0 ? len : group;
        for (std::int64_t r = 0; r < (perChannel ? D : L); ++r)
          for (std::int64_t first = 0; first < len; first += g) {
            const auto at = [&](const FloatMatrix& m, std::int64_t i) { return perChannel ? m.at(i, r) : m.at(r, i); };
            float lo = INFINITY, hi = -INFINITY;
            for (auto i = first; i < std::min(len, first + g); ++i) lo = std::min(lo, at(x, i)), hi = std::max(hi, at(x, i));
            const double halfStep = (hi - lo) / ((1 << bits) - 1) / 2 * (1 + 0x1p-8) + 1e-6 * (std::fabs(lo) + std::fabs(hi));
            for (auto i = first; i < std::min(len, first + g); ++i)
              ASSERT_LE(std::fabs(at(rebuilt, i) - at(x, i)), halfStep + 1e-7) << c.name << " bits " << bits;
          }
      };
      check(c.keys, k.reconstruct(), true, tokenGroup);
      check(c.values, v.reconstruct(), false, dimGroup);
    }
  }
}

TEST(DecodeKernels, EvictionGathersTheKeptRowsAndMasksTheRest) {
  for (const auto& c : cases()) {
    const auto L = c.keys.rows;
    std::vector<std::int32_t> kept;
    std::vector<bool> keep(static_cast<std::size_t>(L), false);
    for (std::int32_t j = 0; j < L; ++j)
      if (j < 4 || j % 3 == 1 || j >= L - 16) kept.push_back(j), keep[j] = true;
    auto keysF16 = std::make_shared<DenseF16>(c.keys), valuesF16 = std::make_shared<DenseF16>(c.values);
    const EvictedStore k(keysF16, kept), v(valuesF16, kept);
    const auto want = referenceAttention(c, keysF16->reconstruct(), valuesF16->reconstruct(), keep);
    EXPECT_LT(relativeError(attend(k, v, c), want), kKernelTolerance) << c.name;
    const auto rows = k.reconstruct();
    for (std::size_t j = 0; j < kept.size(); ++j)
      for (std::int64_t d = 0; d < c.keys.cols; ++d)
        ASSERT_EQ(rows.at(static_cast<std::int64_t>(j), d), asHalf(c.keys.at(kept[j], d)));
  }
}

TEST(DecodeKernels, FourierInTheFrequencyDomain) {
  for (const auto& c : cases()) {
    const auto L = c.keys.rows, D = c.keys.cols;
    for (const std::int64_t coeffs : {std::int64_t{0}, std::int64_t{1}, L / 10, L})
      expectMatchesDense(FourierStore(c.keys, 4, 16, coeffs), FourierStore(c.values, 4, 16, coeffs), c);
    // Every bin kept: the middle tokens come back (float16 coefficients), the kept ones exactly.
    const auto rebuilt = FourierStore(c.keys, 4, 16, L).reconstruct();
    EXPECT_LT(relativeError(rebuilt, c.keys), 2e-3) << c.name;
    for (const std::int64_t j : {std::int64_t{0}, std::int64_t{3}, L - 16, L - 1})
      for (std::int64_t d = 0; d < D; ++d) ASSERT_EQ(rebuilt.at(j, d), asHalf(c.keys.at(j, d)));
  }
}

TEST(DecodeKernels, SirenEvaluatedAtEveryPosition) {
  for (const auto& c : cases()) {
    const auto L = c.keys.rows, D = c.keys.cols;
    auto net = SirenNet::initialised(D, 32, 2, 30, 5);
    for (std::int64_t d = 0; d < D; ++d) net.mean[d] = 0.1f * d, net.std[d] = 0.5f + 0.01f * d;
    const SirenStore k(net, L), v(SirenNet::initialised(D, 48, 1, 20, 6), L);
    expectMatchesDense(k, v, c);
    // The reconstruction against the network evaluated directly, in double.
    const auto rebuilt = k.reconstruct();
    FloatMatrix direct{L, D, std::vector<float>(static_cast<std::size_t>(L * D))};
    for (std::int64_t j = 0; j < L; ++j) {
      std::vector<double> h = {static_cast<double>(j) / (L - 1)};
      for (std::size_t l = 0; l < net.layers.size(); ++l) {
        const auto& layer = net.layers[l];
        std::vector<double> next(layer.biases.begin(), layer.biases.end());
        for (std::int64_t i = 0; i < layer.in; ++i)
          for (std::int64_t o = 0; o < layer.out; ++o) next[o] += h[i] * layer.weights[i * layer.out + o];
        if (l + 1 < net.layers.size())
          for (auto& x : next) x = std::sin(net.omega0 * x);
        h = next;
      }
      for (std::int64_t d = 0; d < D; ++d) direct.data[j * D + d] = static_cast<float>(h[d] * net.std[d] + net.mean[d]);
    }
    EXPECT_LT(relativeError(rebuilt, direct), 1e-4) << c.name;
  }
}

TEST(DecodeKernels, MixedRepresentationsPerKind) {
  for (const auto& c : cases()) {
    const auto D = c.keys.cols;
    expectMatchesDense(LowRankStore(c.keys, D / 2), DenseF16(c.values), c);
    expectMatchesDense(DenseF16(c.keys), LowRankStore(c.values, D / 2), c);
    expectMatchesDense(KiviKeyStore(c.keys, 4, 0), DenseF16(c.values), c);
    const DenseF16 shorter(FloatMatrix{2, D, std::vector<float>(static_cast<std::size_t>(2 * D))});
    std::vector<float> out(static_cast<std::size_t>(c.groups * D));
    DecodeScratch scratch;
    EXPECT_THROW(attendStep(DenseF16(c.keys), shorter, c.queries.data(), c.groups, out.data(), scratch),
                 std::invalid_argument);
  }
}
