// Decode-step benchmark (issue 19): every decode kernel of core/decode timed against the dense
// float16 baseline in one run, at L = 4k, 16k, 64k, 128k, on a SYNTHETIC Llama-3-8B-shaped cache
// (head_dim 128, 4 query heads per KV head; AR(1) keys lag 0.9, values lag 0.3). Each L times a
// pass over as many KV heads as make 512 MiB of float16 cache (at most the 8B model's 256), so
// every head is read cold, on all cores (heads shared out); a step's time is a pass's per head,
// the passes alternating between the kernels. Per kernel: bytes read, µs per (layer, KV head)
// step, speed-up against dense float16, achieved GB/s against the measured stream bandwidth and
// GFLOP/s (the model's FLOPs) against the matmul peak (where it sits on this machine's roofline),
// and the model's prediction here and on H100.
//   bench_decode [L,L,...]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "core/decode/decode_cost.h"
#include "core/decode/dense_stores.h"
#include "core/decode/fourier_store.h"
#include "core/decode/kivi_stores.h"
#include "core/decode/lowrank_store.h"
#include "core/decode/siren_store.h"
#include "gpu/device.h"

using namespace kvwb::core;
using namespace kvwb::core::decode;

namespace {

constexpr std::int64_t kDims = 128, kGroup = 4, kModelHeads = 256;  // Llama-3-8B: 32 layers x 8 KV heads
constexpr double kWorkingSet = 512.0 * (1 << 20);                    // bytes of float16 cache per pass
constexpr std::int64_t kRank = 32, kQuantGroup = 128;                // about 4x smaller than float16
constexpr int kPasses = 2;                                           // timed passes per kernel

using Clock = std::chrono::steady_clock;

// SYNTHETIC [L, D]: AR(1) along the tokens, per-dim scales and offsets.
FloatMatrix ar1(std::int64_t L, double lag, std::uint64_t seed) {
  FloatMatrix m{L, kDims, std::vector<float>(static_cast<std::size_t>(L * kDims))};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const double innovation = std::sqrt(1 - lag * lag);
  for (std::int64_t d = 0; d < kDims; ++d) {
    const double scale = 0.2 + 2.8 * d / kDims, offset = -1.0 + 2.0 * d / kDims;
    double x = normal(rng);
    for (std::int64_t t = 0; t < L; ++t) m.data[t * kDims + d] = static_cast<float>(offset + scale * (x = lag * x + innovation * normal(rng)));
  }
  return m;
}

// Eviction's kept rows: 4 sink and 32 recent tokens and the largest keys by norm, L / 4 in all.
std::vector<std::int32_t> keptRows(const FloatMatrix& keys) {
  const auto L = keys.rows;
  std::vector<std::pair<float, std::int32_t>> norms;
  for (std::int32_t j = 4; j < L - 32; ++j) {
    float n = 0;
    for (std::int64_t d = 0; d < kDims; ++d) n += keys.at(j, d) * keys.at(j, d);
    norms.emplace_back(-n, j);
  }
  const auto middle = static_cast<std::size_t>(L / 4 - 36);
  std::partial_sort(norms.begin(), norms.begin() + middle, norms.end());
  std::vector<std::int32_t> kept;
  for (std::int32_t j = 0; j < 4; ++j) kept.push_back(j);
  for (std::size_t i = 0; i < middle; ++i) kept.push_back(norms[i].second);
  for (auto j = static_cast<std::int32_t>(L - 32); j < L; ++j) kept.push_back(j);
  std::sort(kept.begin(), kept.end());
  return kept;
}

struct Sides {
  std::shared_ptr<const KeyStore> keys;
  std::shared_ptr<const ValueStore> values;
};

struct Kernel {
  std::string name;
  std::function<Sides(std::int64_t head)> make;  // the stores of one head (copies of a prototype)
  DecodeCost model;                              // one (layer, KV head) step, per the model
  std::int64_t heads = 0;                        // heads per timed pass
};

// µs per head of one pass over every head, heads shared out over the cores.
double timePass(const std::vector<Sides>& heads) {
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto count = static_cast<std::int64_t>(heads.size());
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      at::set_num_threads(1);  // this thread's LibTorch and BLAS work stays on it
      DecodeScratch scratch;
      std::vector<float> q(kGroup * kDims), out(kGroup * kDims);
      std::mt19937 rng(t);
      std::normal_distribution<float> normal;
      for (auto& x : q) x = normal(rng);
      for (std::int64_t h = t; h < count; h += threads)
        attendStep(*heads[h].keys, *heads[h].values, q.data(), kGroup, out.data(), scratch);
    });
  for (auto& w : workers) w.join();
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / static_cast<double>(count);
}

// µs per head of each kernel: the best of kPasses passes, interleaved across the kernels (so a
// change in the machine's load hits them alike; each pass reads its heads cold).
std::vector<double> timeKernels(const std::vector<Kernel>& kernels) {
  std::vector<std::vector<Sides>> heads(kernels.size());
  for (std::size_t k = 0; k < kernels.size(); ++k)
    for (std::int64_t h = 0; h < kernels[k].heads; ++h) heads[k].push_back(kernels[k].make(h));
  std::vector<double> best(kernels.size(), INFINITY);
  for (int pass = 0; pass < kPasses; ++pass)
    for (std::size_t k = 0; k < kernels.size(); ++k) best[k] = std::min(best[k], timePass(heads[k]));
  return best;
}

DecodeCost side(const char* method, const nlohmann::json& params, std::int64_t L, KvKind kind,
                bool reconstruct = false) {
  return estimateDecodeCost(methodDescriptor(method), params, {L, kDims, kGroup, kind, reconstruct});
}

DecodeCost dense(std::int64_t rows, KvKind kind, double bytesPerValue) {
  return denseDecodeCost({rows, kDims, kGroup, kind}, bytesPerValue);
}

DecodeCost headStep(DecodeCost keys, const DecodeCost& values, std::int64_t positions) {
  keys += values;
  keys += softmaxCost(positions, kGroup);
  return keys;
}

template <class Store, class... Args>
std::function<std::shared_ptr<Store>(std::int64_t)> copies(Args&&... args) {
  auto proto = std::make_shared<const Store>(std::forward<Args>(args)...);
  return [proto](std::int64_t) { return std::make_shared<Store>(*proto); };
}

void runContext(std::int64_t L, const DeviceProfile& host, const DeviceProfile& h100) {
  const auto keys = ar1(L, 0.9, 1 + L), values = ar1(L, 0.3, 2 + L);
  const auto heads = std::clamp<std::int64_t>(static_cast<std::int64_t>(kWorkingSet / (2.0 * L * kDims * 2)), 2, kModelHeads);
  // Float16 caches shared by the kernels that read them (the baseline, eviction, the K-only and
  // V-only variants), one copy per head.
  std::vector<std::shared_ptr<const DenseF16>> keysF16, valuesF16;
  for (std::int64_t h = 0; h < heads; ++h)
    keysF16.push_back(std::make_shared<DenseF16>(keys)), valuesF16.push_back(std::make_shared<DenseF16>(values));
  const auto f16Keys = [&](std::int64_t h) { return keysF16[h]; };
  const auto f16Values = [&](std::int64_t h) { return valuesF16[h]; };
  const auto pair = [](auto k, auto v) { return [k, v](std::int64_t h) { return Sides{k(h), v(h)}; }; };
  const auto raw = headStep(dense(L, KvKind::Keys, 2), dense(L, KvKind::Values, 2), L);

  const nlohmann::json svd = {{"rank", kRank}};
  const auto lowKeys = copies<LowRankStore>(keys, kRank), lowValues = copies<LowRankStore>(values, kRank);
  const auto rebuilt = [](auto f) { return [f](std::int64_t h) { return std::make_shared<MaterialisedStore>(f(h)); }; };
  const auto quant = [&](int bits) {
    return nlohmann::json{{"bits", bits}, {"axis", "kivi"}, {"group", kQuantGroup}};
  };
  const auto kept = keptRows(keys);
  const auto n = static_cast<std::int64_t>(kept.size());
  auto evictedSide = [&](KvKind kind) {
    auto c = dense(n, kind, 2);
    c.bytes += 4.0 * n;  // the kept rows' indices
    return c;
  };
  const auto evicted = [&](const std::vector<std::shared_ptr<const DenseF16>>& caches) {
    return [&caches, kept](std::int64_t h) { return std::make_shared<EvictedStore>(caches[h], kept); };
  };
  const nlohmann::json fourier = {{"coeffs", L / 8}, {"sink", 4}, {"recent", 32}};
  const auto sirenOf = [&](const char* config, std::int64_t width, std::int64_t depth) {
    auto k = copies<SirenStore>(SirenNet::initialised(kDims, width, depth, 30, 3), L);
    auto v = copies<SirenStore>(SirenNet::initialised(kDims, width, depth, 30, 4), L);
    const nlohmann::json p = {{"config", config}, {"storage", "float32"}};
    return Kernel{std::string("SIREN ") + config + " (" + std::to_string(width) + " wide, " + std::to_string(depth) +
                      " hidden), fused",
                  pair(k, v), headStep(side("siren", p, L, KvKind::Keys), side("siren", p, L, KvKind::Values), L), 2};
  };

  std::vector<Kernel> kernels = {
      {"dense float32", pair(copies<DenseF32>(keys), copies<DenseF32>(values)),
       headStep(dense(L, KvKind::Keys, 4), dense(L, KvKind::Values, 4), L), heads},
      {"dense float16 (baseline)", pair(f16Keys, f16Values), raw, heads},
      {"low-rank r=32, rank-aware", pair(lowKeys, lowValues),
       headStep(side("svd", svd, L, KvKind::Keys), side("svd", svd, L, KvKind::Values), L), heads},
      {"low-rank r=32, reconstruct-then-attend", pair(rebuilt(lowKeys), rebuilt(lowValues)),
       headStep(side("svd", svd, L, KvKind::Keys, true), side("svd", svd, L, KvKind::Values, true), L), heads},
      {"low-rank r=32 keys, float16 values", pair(lowKeys, f16Values),
       headStep(side("svd", svd, L, KvKind::Keys), dense(L, KvKind::Values, 2), L), heads},
      {"float16 keys, low-rank r=32 values", pair(f16Keys, lowValues),
       headStep(dense(L, KvKind::Keys, 2), side("svd", svd, L, KvKind::Values), L), heads},
      {"KIVI INT8, fused dequantisation", pair(copies<KiviKeyStore>(keys, 8, kQuantGroup), copies<KiviValueStore>(values, 8, kQuantGroup)),
       headStep(side("quant", quant(8), L, KvKind::Keys), side("quant", quant(8), L, KvKind::Values), L), heads},
      {"KIVI INT4, fused dequantisation", pair(copies<KiviKeyStore>(keys, 4, kQuantGroup), copies<KiviValueStore>(values, 4, kQuantGroup)),
       headStep(side("quant", quant(4), L, KvKind::Keys), side("quant", quant(4), L, KvKind::Values), L), heads},
      {"KIVI INT4 keys, float16 values", pair(copies<KiviKeyStore>(keys, 4, kQuantGroup), f16Values),
       headStep(side("quant", quant(4), L, KvKind::Keys), dense(L, KvKind::Values, 2), L), heads},
      {"float16 keys, KIVI INT4 values", pair(f16Keys, copies<KiviValueStore>(values, 4, kQuantGroup)),
       headStep(dense(L, KvKind::Keys, 2), side("quant", quant(4), L, KvKind::Values), L), heads},
      {"eviction, L/4 rows kept (gather)", pair(evicted(keysF16), evicted(valuesF16)),
       headStep(evictedSide(KvKind::Keys), evictedSide(KvKind::Values), n), heads},
      {"Fourier, L/8 bins + 36 tokens", pair(copies<FourierStore>(keys, 4, 32, L / 8), copies<FourierStore>(values, 4, 32, L / 8)),
       headStep(side("fourier", fourier, L, KvKind::Keys), side("fourier", fourier, L, KvKind::Values), L), heads},
      sirenOf("tiny", 64, 1),
      sirenOf("medium", 256, 2),
  };

  std::printf("\n### L = %lld (SYNTHETIC Llama-3-8B-shaped: D = %lld, G = %lld; %lld KV heads per pass = %.0f MiB "
              "of float16 cache, SIREN 2)\n\n",
              static_cast<long long>(L), static_cast<long long>(kDims), static_cast<long long>(kGroup),
              static_cast<long long>(heads), heads * 2.0 * L * kDims * 2 / (1 << 20));
  std::printf("| kernel | KiB read | µs / head | vs dense f16 | GB/s | of stream | GFLOP/s | predicted µs here | "
              "predicted µs H100 | H100 vs dense f16 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  const auto micros = timeKernels(kernels);
  const double baseline = micros[1];  // dense float16
  const double rawH100 = predictDecode(raw, h100).micros;
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    const auto& k = kernels[i];
    const auto probe = k.make(0);
    const double bytes = probe.keys->bytes() + probe.values->bytes(), us = micros[i];
    const double predictedH100 = predictDecode(k.model, h100).micros;
    std::printf("| %s | %.0f | %.1f | %.2fx | %.1f | %.0f%% | %.1f | %.1f | %.3f | %.2fx |\n", k.name.c_str(), bytes / 1024,
                us, baseline / us, bytes / us / 1e3, 100 * bytes / us / 1e3 / (host.bandwidth / 1e9), k.model.flops / us / 1e3,
                predictDecode(k.model, host).micros, predictedH100, rawH100 / predictedH100);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  kvwb::gpu::configureHost();
  std::vector<std::int64_t> contexts = {4096, 16384, 65536, 131072};
  if (argc > 1) {
    contexts.clear();
    std::stringstream list(argv[1]);
    for (std::string item; std::getline(list, item, ',');) contexts.push_back(std::stoll(item));
  }
  const auto host = measureHostProfile();
  const auto h100 = deviceProfile("h100");
  std::printf("bench_decode: one decode step per (layer, KV head), G = %lld queries; SYNTHETIC cache.\n",
              static_cast<long long>(kGroup));
  std::printf("this machine: %s, stream read %.1f GB/s, float32 matmul %.1f GFLOP/s (%s)\n", host.title.c_str(),
              host.bandwidth / 1e9, host.matrixFlops / 1e9, host.source.c_str());
  std::printf("H100: %s\n", h100.source.c_str());
  for (const auto L : contexts) runContext(L, host, h100);
}
