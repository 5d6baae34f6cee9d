// "mixed_precision": per-token FP16 / INT8 / INT4 after the HNF precision analyzer, driven by the
// attention each token receives from the real queries or the analyzer's curvature scores
// ("importance"), under a byte budget ("ratio" vs raw float16, or "budget" as a fraction of it).
// One thread per call.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "core/compress/compress_common.h"
#include "core/compress/group_quant.h"
#include "core/compress/method_registry.h"
#include "core/compress/query_attention.h"

namespace kvwb::core {
namespace {

enum Level : std::int64_t { kInt4 = 0, kInt8 = 1, kFp16 = 2 };

struct TokenBytes {
  double fp16 = 0, int8 = 0, int4 = 0;  // one token at each level, scales and zero points included
  double levelIndices = 0;              // 2 bits per token, per target
};

// Levels of one target's T tokens. With tokens in descending importance, the first n16 get FP16,
// the next n8 INT8 and the rest INT4, so a more important token never gets less precision; among
// the splits that fit `budget`, the one removing the most importance-weighted squared error
// (relative to all INT4) wins. errN: squared reconstruction error of each token at level N.
std::vector<std::int64_t> allocateLevels(const float* importance, const float* err4,
                                         const float* err8, const float* err16, std::int64_t T,
                                         const TokenBytes& b, double budget) {
  std::vector<std::int64_t> order(T);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](auto a, auto c) { return importance[a] > importance[c]; });
  std::vector<double> gain16(T + 1, 0), gain8(T + 1, 0);  // prefix sums in that order
  for (std::int64_t k = 0; k < T; ++k) {
    const auto j = order[k];
    gain16[k + 1] = gain16[k] + importance[j] * (err4[j] - err16[j]);
    gain8[k + 1] = gain8[k] + importance[j] * (err4[j] - err8[j]);
  }
  std::int64_t best16 = 0, best8 = 0;
  double bestGain = -1;
  for (std::int64_t n16 = 0; n16 <= T; ++n16) {
    const double left = budget - b.levelIndices - n16 * b.fp16 - (T - n16) * b.int4;
    if (left < 0) break;
    const double int8Extra = b.int8 - b.int4;  // 0 only at D = 1
    const auto n8 =
        int8Extra > 0 ? std::min<std::int64_t>(T - n16, std::floor(left / int8Extra)) : T - n16;
    const double gain = gain16[n16] + gain8[n16 + n8] - gain8[n16];
    if (gain > bestGain) std::tie(bestGain, best16, best8) = std::tuple(gain, n16, n8);
  }
  std::vector<std::int64_t> levels(T, kInt4);
  for (std::int64_t k = 0; k < best16 + best8; ++k) levels[order[k]] = k < best16 ? kFp16 : kInt8;
  return levels;
}

// [N, T]: each token's importance by the "importance" parameter (query_attention.h). Values enter
// the output linearly, so their Hessian is zero: "hessian" and "hybrid" rank them by the gradient.
torch::Tensor tokenImportance(const std::string& kind, const QueryKeys& qk, const torch::Tensor& x,
                              const FitInputs& inputs, const torch::Device& dev) {
  if (kind == "attention") return attentionImportance(qk);
  const bool keys = inputs.kind == "K";
  if (!keys && inputs.kind != "V")
    throw std::invalid_argument("mixed_precision: importance \"" + kind +
                                "\" needs a batch of one kind (inputs.kind \"K\" or \"V\")");
  if (keys && (!inputs.values || inputs.values->n != qk.k.size(0) ||
               inputs.values->t != qk.k.size(1) || inputs.values->d != qk.k.size(2)))
    throw std::invalid_argument("mixed_precision: importance \"" + kind +
                                "\" needs inputs.values of the batch's shape for a batch of keys");
  const auto scores = curvatureScores(qk, keys ? batchTensor(*inputs.values, dev) : x, keys);
  if (kind == "gradient" || !keys) return scores.gradient;
  return kind == "hessian" ? scores.hessian : scores.hybrid();
}

torch::Tensor squaredErrorPerToken(const torch::Tensor& x, const torch::Tensor& approx) {
  return (x - approx).pow(2).sum(2).to(torch::kCPU).contiguous();
}

const MethodDescriptor& mixedPrecisionDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "mixed_precision";
    m.family = MethodFamily::Quantization;
    m.doc = "per-token FP16 / INT8 / INT4 by the attention each token receives from the real queries (or the HNF analyzer's curvature), under a byte budget; stores codes, scales and a 2-bit level per token";
    auto ratio = numberParam("ratio", nullptr, 1, 1e9, "target compression ratio vs raw float16");
    auto budget = numberParam("budget", nullptr, 1e-9, 1, "byte budget as a fraction of raw float16");
    ratio.oneOf = budget.oneOf = "size";
    m.params = {ratio, budget,
                integerParam("group", 0, 0, 1 << 30, "values per quantisation group within a token (0 = the whole token)"),
                choiceParam("importance", "attention", {"attention", "gradient", "hessian", "hybrid"},
                            "token ranking: attention received; or, over the queries that see it (RMS), the norm of d out / d K_t (gradient), of d2 out / d K_t^2 (hessian), or attention x gradient x hessian (hybrid, the HNF analyzer's kappa); values use the gradient for hessian and hybrid (their Hessian is 0)")};
    m.defaultGrid = nlohmann::json::parse(R"({"ratio": [1.6, 2.5]})");
    m.needs.queries = true;
    m.bytes = [](const nlohmann::json& p, const TargetShape& s) {
      const double fraction = p.contains("ratio") ? 1.0 / p.at("ratio").get<double>() : p.at("budget").get<double>();
      return s.rawFloat16Bytes() * fraction;
    };
    m.bytesExact = false;  // the allocation fills the budget up to less than one token
    m.fitFlops = [](const nlohmann::json& p, const TargetShape& s) {
      const double t = static_cast<double>(s.tokens), dims = static_cast<double>(s.dims);
      // Causal attention importance (curvature: a second pass, with P V and out V^T) + three
      // quantisations.
      const double passes = p.value("importance", "attention") == "attention" ? 1 : 4;
      return passes * 2.0 * t * t * dims + 20.0 * t * dims;
    };
    // One decode step at the budget (an upper bound, as bytes): per-token groups as "quant" on
    // the token axis; the split between levels is known only after a fit, so every quantised
    // token is counted at INT4's dequantisation work (an unpack and a conversion per value).
    m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
      const double L = static_cast<double>(s.context), D = static_cast<double>(s.dims),
                   G = static_cast<double>(s.queryGroup);
      const double bytes = mixedPrecisionDescriptor().bytes(p, {s.context, s.dims});
      const auto group = p.at("group").get<std::int64_t>();
      const double groups = L * static_cast<double>(groupsPerRow(s.dims, group == 0 ? s.dims : std::min(group, s.dims)));
      if (s.reconstruct) return reconstructedDecodeCost(s, bytes, 0, 4 * L * D);
      return DecodeCost{bytes, 2 * G * L * D, 2 * L * D + 3 * G * groups};
    };
    return m;
  }();
  return d;
}

class MixedPrecisionCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return mixedPrecisionDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    const auto N = batch.n, T = batch.t, D = batch.d;
    ParamReader params(descriptor(), json);
    auto group = params.integer("group");
    if (group > D) params.infeasible("group", "exceeds the target's " + std::to_string(D) + " dims");
    if (group == 0) group = D;  // one scale and zero point per token
    const auto importanceKind = params.choice("importance");
    params.setEffective("group", group);
    const double perTokenGroups = static_cast<double>(groupsPerRow(D, group));
    const TokenBytes bytes{2.0 * D, packedCodeBytes(D, 8) + 4 * perTokenGroups,
                           packedCodeBytes(D, 4) + 4 * perTokenGroups, packedCodeBytes(T, 2)};
    const auto ratio = params.optionalNumber("ratio");
    const double fraction = ratio ? 1.0 / *ratio : *params.optionalNumber("budget");
    params.setEffective("ratio", 1.0 / fraction);
    params.setEffective("budget", fraction);
    const double budget = rawFloat16Bytes(batch) * fraction;
    if (const double floor = bytes.levelIndices + T * bytes.int4; floor > budget)
      params.infeasible(ratio ? "ratio" : "budget", "is out of reach: all tokens at INT4 take " +
                                                  shortNumber(floor) + " bytes, ratio " +
                                                  shortNumber(rawFloat16Bytes(batch) / floor));
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto qk = queryKeysOf(batch, x, inputs, dev, method());
    if (!qk)
      throw std::invalid_argument(
          "mixed_precision: needs inputs.queries, and inputs.keys unless inputs.kind is \"K\"");
    const auto importance =
        tokenImportance(importanceKind, *qk, x, inputs, dev).to(torch::kCPU).contiguous();
    const auto err4 = squaredErrorPerToken(x, dequantizeGroups(quantizeGroups(x, 4, group)));
    const auto err8 = squaredErrorPerToken(x, dequantizeGroups(quantizeGroups(x, 8, group)));
    const auto err16 = squaredErrorPerToken(x, x.to(torch::kFloat16).to(torch::kFloat32));
    std::vector<std::int64_t> levels;
    std::vector<ByteLedger> ledgers(N);
    for (std::int64_t i = 0; i < N; ++i) {
      const auto row = [&](const torch::Tensor& t) { return t.data_ptr<float>() + i * T; };
      const auto target =
          allocateLevels(row(importance), row(err4), row(err8), row(err16), T, bytes, budget);
      levels.insert(levels.end(), target.begin(), target.end());
      const auto count = [&](Level l) {
        return static_cast<double>(std::count(target.begin(), target.end(), l));
      };
      ledgers[i].add("fp16_tokens", count(kFp16) * bytes.fp16);
      ledgers[i].add("int8_codes", count(kInt8) * packedCodeBytes(D, 8));
      ledgers[i].add("int4_codes", count(kInt4) * packedCodeBytes(D, 4));
      ledgers[i].add("scales", (count(kInt8) + count(kInt4)) * perTokenGroups * 2);
      ledgers[i].add("zero_points", (count(kInt8) + count(kInt4)) * perTokenGroups * 2);
      ledgers[i].add("level_indices", bytes.levelIndices);
    }
    // The representation: each level's tokens, stored at that level.
    const auto levelOf = torch::tensor(levels, torch::kLong).to(dev);
    const auto rowsAt = [&](Level l) { return (levelOf == l).nonzero().squeeze(1); };
    const auto idx16 = rowsAt(kFp16), idx8 = rowsAt(kInt8), idx4 = rowsAt(kInt4);
    const auto flat = x.reshape({N * T, D});
    const auto fp16Rows = flat.index_select(0, idx16).to(torch::kFloat16);
    const auto int8Rows = quantizeGroups(flat.index_select(0, idx8), 8, group);
    const auto int4Rows = quantizeGroups(flat.index_select(0, idx4), 4, group);
    const double fitSeconds = fitTimer.seconds();
    const DeviceTimer decodeTimer(dev);
    auto recon = torch::empty({N * T, D}, x.options());
    recon.index_copy_(0, idx16, fp16Rows.to(torch::kFloat32));
    recon.index_copy_(0, idx8, dequantizeGroups(int8Rows));
    recon.index_copy_(0, idx4, dequantizeGroups(int4Rows));
    const double decodeMs = decodeTimer.seconds() * 1e3;
    ctx.report(1.0, "mixed_precision");
    return assembleBatchFit(recon.view({N, T, D}), std::move(ledgers), fitSeconds, decodeMs, device,
                            effective);
  }
};

}  // namespace

MethodEntry mixedPrecisionMethod() {
  return methodEntry<MixedPrecisionCompressor>(mixedPrecisionDescriptor);
}

}  // namespace kvwb::core
