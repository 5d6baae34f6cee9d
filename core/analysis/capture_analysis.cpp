// Orchestration of the structure atlas: batching targets, running the kernels, storing results.
#include "core/analysis/capture_analysis.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/analysis/structure_kernels.h"
#include "core/base/errors.h"
#include "core/base/stable_hash.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

// Bump when a definition changes: stored analyses then count as stale and are recomputed.
constexpr const char* kDefinitionsVersion = "atlas-1";
constexpr std::size_t kBatchBytes = 256u << 20;

TensorKind tensorKindOf(const std::string& kind) {
  if (kind == "K") return TensorKind::Keys;
  if (kind == "V") return TensorKind::Values;
  return TensorKind::KeysPreRope;
}

// Energy per RoPE pair from per-dim energy: pairs (i, i + D/2) or interleaved (2i, 2i + 1).
std::vector<float> pairEnergy(const std::vector<float>& dimEnergy, std::int64_t n, std::int64_t D,
                              bool interleaved) {
  std::vector<float> out(static_cast<std::size_t>(n * (D / 2)));
  for (std::int64_t t = 0; t < n; ++t)
    for (std::int64_t i = 0; i < D / 2; ++i) {
      const auto a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + D / 2;
      out[t * (D / 2) + i] = dimEnergy[t * D + a] + dimEnergy[t * D + b];
    }
  return out;
}

}  // namespace

const NamedArray& CaptureAnalysis::array(const std::string& name) const {
  for (const auto& a : arrays)
    if (a.name == name) return a;
  throw std::out_of_range("analysis of '" + capture + "' has no array '" + name + "'");
}

bool CaptureAnalysis::has(const std::string& name) const {
  return std::any_of(arrays.begin(), arrays.end(), [&](const NamedArray& a) { return a.name == name; });
}

TargetScalars CaptureAnalysis::scalars(std::int64_t l, std::int64_t h, std::size_t kind) const {
  const auto index = (l * heads + h) * static_cast<std::int64_t>(kinds.size()) + static_cast<std::int64_t>(kind);
  auto row = [&](const std::string& name) {
    const auto& a = array(name);
    const auto width = a.shape.back();
    return std::span<const float>(a.data.data() + index * width, static_cast<std::size_t>(width));
  };
  return computeScalars({row("autocorr"), array("spearman").data[static_cast<std::size_t>(index)],
                         row("singular"), row("spectrum"), tokens});
}

std::string captureFingerprint(const CaptureInfo& c) {
  const std::string key = c.metadataJson + "|" + std::to_string(c.layers) + "x" +
                          std::to_string(c.kvHeads) + "x" + std::to_string(c.tokens) + "x" +
                          std::to_string(c.headDim) + "|" + kDefinitionsVersion;
  return std::to_string(stableHash(key));
}

CaptureAnalysis analyzeCapture(const Project& project, const std::string& captureName,
                               const AnalysisOptions& opt, JobContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  const auto& c = project.capture(captureName);
  CaptureAnalysis a;
  a.capture = captureName;
  a.fingerprint = captureFingerprint(c);
  a.device = gpu::resolveDevice(opt.device);
  a.layers = c.layers;
  a.heads = c.kvHeads;
  a.tokens = c.tokens;
  a.headDim = c.headDim;
  a.kinds = {"K", "V"};
  if (c.hasKeysPreRope) a.kinds.push_back("Kpre");
  const auto meta = nlohmann::json::parse(c.metadataJson, nullptr, false);
  a.ropeLayout = meta.is_object() ? meta.value("rope_layout", "half") : "half";
  const auto K = static_cast<std::int64_t>(a.kinds.size());
  const auto n = a.layers * a.heads * K, T = a.tokens, D = a.headDim;
  const int maxLag = opt.maxLag;

  const double attentionWork = c.hasQueries ? 0.3 : 0.0;
  std::vector<float> autocorr, spearman, spectrum, singular, meanAbs, maxAbs, meanSq;
  std::int64_t freqs = 0, ranks = 0;
  const auto perBatch = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(kBatchBytes / (static_cast<std::size_t>(T * D) * sizeof(float))));
  for (std::int64_t first = 0; first < n; first += perBatch) {
    ctx.checkCancelled();
    TargetBatch batch;
    batch.n = std::min(perBatch, n - first);
    batch.t = T;
    batch.d = D;
    batch.data.reserve(static_cast<std::size_t>(batch.n * T * D));
    for (std::int64_t i = first; i < first + batch.n; ++i) {
      const auto l = i / (a.heads * K), h = i / K % a.heads, k = i % K;
      const auto m = project.readTarget(captureName, tensorKindOf(a.kinds[k]), l, h);
      batch.data.insert(batch.data.end(), m.data.begin(), m.data.end());
    }
    const auto s = computeTargetStats(batch, maxLag, a.device);
    freqs = s.freqs;
    ranks = s.ranks;
    for (auto [dst, src] : {std::pair{&autocorr, &s.autocorr}, {&spearman, &s.spearman},
                            {&spectrum, &s.spectrum}, {&singular, &s.singular},
                            {&meanAbs, &s.dimMeanAbs}, {&maxAbs, &s.dimMaxAbs}, {&meanSq, &s.dimMeanSq}})
      dst->insert(dst->end(), src->begin(), src->end());
    ctx.report((1.0 - attentionWork) * static_cast<double>(first + batch.n) / static_cast<double>(n),
               "targets " + std::to_string(first + batch.n) + "/" + std::to_string(n));
  }
  const auto L = a.layers, H = a.heads;
  a.arrays.push_back({"autocorr", {L, H, K, maxLag}, std::move(autocorr)});
  a.arrays.push_back({"spearman", {L, H, K}, std::move(spearman)});
  a.arrays.push_back({"spectrum", {L, H, K, freqs}, std::move(spectrum)});
  a.arrays.push_back({"singular", {L, H, K, ranks}, std::move(singular)});
  a.arrays.push_back({"dim_mean_abs", {L, H, K, D}, std::move(meanAbs)});
  a.arrays.push_back({"dim_max_abs", {L, H, K, D}, std::move(maxAbs)});
  a.arrays.push_back({"rope_pair_energy", {L, H, K, D / 2},
                      pairEnergy(meanSq, n, D, a.ropeLayout == "interleaved")});

  if (c.hasQueries) {
    std::vector<float> sink, sens;
    for (std::int64_t l = 0; l < L; ++l) {
      ctx.checkCancelled();
      LayerQKV qkv;
      qkv.queryHeads = c.queryHeads;
      qkv.kvHeads = H;
      qkv.t = T;
      qkv.d = D;
      for (std::int64_t h = 0; h < c.queryHeads; ++h) {
        const auto m = project.readTarget(captureName, TensorKind::Queries, l, h);
        qkv.q.insert(qkv.q.end(), m.data.begin(), m.data.end());
      }
      for (std::int64_t h = 0; h < H; ++h) {
        const auto k = project.readTarget(captureName, TensorKind::Keys, l, h);
        const auto v = project.readTarget(captureName, TensorKind::Values, l, h);
        qkv.k.insert(qkv.k.end(), k.data.begin(), k.data.end());
        qkv.v.insert(qkv.v.end(), v.data.begin(), v.data.end());
      }
      const auto s = computeAttentionStats(qkv, opt.sensitivityQueries, a.device);
      sink.insert(sink.end(), s.sinkShare.begin(), s.sinkShare.end());
      for (std::int64_t h = 0; h < H; ++h) {  // [H, 2, D] per layer: K then V
        sens.insert(sens.end(), s.keySensitivity.begin() + h * D, s.keySensitivity.begin() + (h + 1) * D);
        sens.insert(sens.end(), s.valueSensitivity.begin() + h * D, s.valueSensitivity.begin() + (h + 1) * D);
      }
      ctx.report(1.0 - attentionWork + attentionWork * static_cast<double>(l + 1) / static_cast<double>(L),
                 "attention layer " + std::to_string(l + 1) + "/" + std::to_string(L));
    }
    a.arrays.push_back({"sink_share", {L, H, T}, std::move(sink)});
    a.arrays.push_back({"dim_sensitivity", {L, H, 2, D}, std::move(sens)});
  }
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return a;
}

void saveAnalysis(const std::filesystem::path& project, const CaptureAnalysis& a) {
  const nlohmann::json attrs = {{"fingerprint", a.fingerprint}, {"kinds", a.kinds},
                                {"device", a.device},           {"seconds", a.seconds},
                                {"rope_layout", a.ropeLayout},  {"definitions", kDefinitionsVersion},
                                {"tokens", a.tokens},           {"head_dim", a.headDim}};
  ProjectEdit edit(project);
  if (!Project::open(project).hasCapture(a.capture))
    throw InputError(project, "no capture named '" + a.capture + "'");
  edit.writeArrayGroup(analysisGroup(a.capture), a.arrays, attrs.dump());
  edit.commit();
}

std::optional<CaptureAnalysis> loadAnalysis(const Project& project, const std::string& captureName) {
  const auto attrsText = project.arrayGroupAttrs(analysisGroup(captureName));
  if (attrsText.empty()) return std::nullopt;
  const auto attrs = nlohmann::json::parse(attrsText, nullptr, false);
  const auto& c = project.capture(captureName);
  if (!attrs.is_object() || attrs.value("fingerprint", "") != captureFingerprint(c)) return std::nullopt;
  CaptureAnalysis a;
  a.capture = captureName;
  a.fingerprint = attrs["fingerprint"];
  a.kinds = attrs.value("kinds", std::vector<std::string>{});
  a.device = attrs.value("device", "");
  a.seconds = attrs.value("seconds", 0.0);
  a.ropeLayout = attrs.value("rope_layout", "half");
  a.layers = c.layers;
  a.heads = c.kvHeads;
  a.tokens = c.tokens;
  a.headDim = c.headDim;
  for (const auto& name : project.arrayGroupNames(analysisGroup(captureName)))
    a.arrays.push_back(project.readArray(analysisGroup(captureName), name));
  return a;
}

}  // namespace kvwb::core
