// LibTorch implementation of the batched structure kernels (see structure_kernels.h).
#include "core/analysis/structure_kernels.h"

#include <torch/torch.h>

#include <cmath>

namespace kvwb::core {
namespace {

torch::Tensor toDevice(const std::vector<float>& v, std::vector<std::int64_t> shape,
                       const torch::Device& device) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).to(device, false, true);
}

std::vector<float> toHost(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// Mean over dims of the Pearson correlation of X[0:T-k, d] with X[k:T, d], k = 1..maxLag,
// skipping dims where either segment is constant. x: [N, T, D] (float64 for accuracy).
torch::Tensor lagAutocorr(const torch::Tensor& x, int maxLag) {
  const auto T = x.size(1);
  std::vector<torch::Tensor> lags;
  for (int k = 1; k <= maxLag; ++k) {
    if (k >= T - 1) {
      lags.push_back(torch::full({x.size(0)}, NAN, x.options()));
      continue;
    }
    auto a = x.narrow(1, 0, T - k), b = x.narrow(1, k, T - k);
    a = a - a.mean(1, true);
    b = b - b.mean(1, true);
    const auto cov = (a * b).sum(1);
    const auto va = (a * a).sum(1), vb = (b * b).sum(1);
    const auto valid = (va > 0) & (vb > 0);
    const auto r = torch::where(valid, cov / (va * vb).clamp_min(1e-300).sqrt(), torch::zeros_like(cov));
    lags.push_back(r.sum(1) / valid.sum(1).to(x.dtype()));  // NaN when no dim varies
  }
  return torch::stack(lags, 1);
}

// Average ranks (1-based, ties share their mean rank) along the last dim.
torch::Tensor averageRanks(const torch::Tensor& x) {
  const auto sorted = std::get<0>(x.sort(-1));
  const auto lo = torch::searchsorted(sorted, x, false, false);
  const auto hi = torch::searchsorted(sorted, x, false, true);
  return (lo + hi - 1).to(x.dtype()) / 2 + 1;
}

// Mean over t of the Spearman correlation of the vectors X[t,:] and X[t+1,:].
torch::Tensor spearmanAdjacent(const torch::Tensor& x) {
  auto r = averageRanks(x.contiguous());
  r = r - r.mean(-1, true);
  const auto a = r.narrow(1, 0, x.size(1) - 1), b = r.narrow(1, 1, x.size(1) - 1);
  const auto den = ((a * a).sum(-1) * (b * b).sum(-1)).sqrt();
  const auto rho = torch::where(den > 0, (a * b).sum(-1) / den.clamp_min(1e-300), torch::full_like(den, NAN));
  return rho.nanmean(1);
}

}  // namespace

TargetStats computeTargetStats(const TargetBatch& batch, int maxLag, const std::string& device) {
  torch::NoGradGuard noGrad;
  const torch::Device dev(device);
  const auto x32 = toDevice(batch.data, {batch.n, batch.t, batch.d}, dev);
  const auto x = x32.to(torch::kFloat64);  // correlations and spectra in double: T up to 32k
  TargetStats s;
  s.n = batch.n;
  s.maxLag = maxLag;
  s.dims = batch.d;
  s.autocorr = toHost(lagAutocorr(x, maxLag));
  s.spearman = toHost(spearmanAdjacent(x));
  const auto centred = x - x.mean(1, true);
  const auto spec = torch::fft::rfft(centred, c10::nullopt, 1).abs().pow(2).sum(2);
  s.freqs = spec.size(1);
  s.spectrum = toHost(spec);
  const auto sv = at::linalg_svdvals(x);
  s.ranks = sv.size(1);
  s.singular = toHost(sv);
  const auto ax = x32.abs();
  s.dimMeanAbs = toHost(ax.mean(1));
  s.dimMaxAbs = toHost(std::get<0>(ax.max(1)));
  s.dimMeanSq = toHost(x32.pow(2).mean(1));
  return s;
}

AttentionStats computeAttentionStats(const LayerQKV& layer, int sensitivityQueries,
                                     const std::string& device) {
  torch::NoGradGuard noGrad;
  const torch::Device dev(device);
  const auto Hq = layer.queryHeads, H = layer.kvHeads, T = layer.t, D = layer.d;
  const auto group = Hq / H;
  const auto q = toDevice(layer.q, {Hq, T, D}, dev);
  // Each query head against its KV head: expand K and V to [Hq, T, D].
  const auto k = toDevice(layer.k, {H, T, D}, dev).repeat_interleave(group, 0);
  const auto v = toDevice(layer.v, {H, T, D}, dev).repeat_interleave(group, 0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const auto causal = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(dev)).tril();

  // Sink share: in query-row blocks to bound memory at long T.
  auto received = torch::zeros({Hq, T}, q.options());
  const std::int64_t block = std::max<std::int64_t>(1, (1 << 24) / std::max<std::int64_t>(1, Hq * T));
  for (std::int64_t r0 = 0; r0 < T; r0 += block) {
    const auto rows = std::min(block, T - r0);
    auto s = torch::matmul(q.narrow(1, r0, rows), k.transpose(1, 2)) * scale;
    s = s.masked_fill(causal.narrow(0, r0, rows).logical_not(), -INFINITY);
    received += torch::softmax(s, -1).sum(1);
  }
  AttentionStats out;
  out.sinkShare = toHost((received / static_cast<double>(T)).view({H, group, T}).mean(1));

  // Sensitivity on evenly spaced query rows (the last row always included).
  const auto nq = std::min<std::int64_t>(T, std::max(1, sensitivityQueries));
  auto rowIdx = torch::linspace(0, static_cast<double>(T - 1), nq, torch::TensorOptions().dtype(torch::kFloat64))
                    .round().to(torch::kLong).to(dev);
  const auto qs = q.index_select(1, rowIdx);                        // [Hq, nq, D]
  const auto mask = causal.index_select(0, rowIdx).logical_not();   // [nq, T]
  const auto scores = torch::matmul(qs, k.transpose(1, 2)) * scale; // [Hq, nq, T]
  const auto attn = torch::softmax(scores.masked_fill(mask, -INFINITY), -1);
  const auto o = torch::matmul(attn, v);                            // [Hq, nq, D]
  const auto oNorm = o.pow(2).sum({1, 2}).sqrt().clamp_min(1e-30);  // [Hq]
  // Keys: replacing dim d by its mean shifts score(i, j) by -q_id * (k_jd - mean_d) * scale.
  const auto kc = k - k.mean(1, true);
  std::vector<torch::Tensor> keySens;
  for (std::int64_t d = 0; d < D; ++d) {
    const auto shift = qs.select(2, d).unsqueeze(2) * kc.select(2, d).unsqueeze(1) * scale;
    const auto a2 = torch::softmax((scores - shift).masked_fill(mask, -INFINITY), -1);
    keySens.push_back((torch::matmul(a2, v) - o).pow(2).sum({1, 2}).sqrt() / oNorm);
  }
  // Values: replacing dim d by its mean changes only output dim d, by attn @ (v_d - mean).
  const auto vc = v - v.mean(1, true);
  const auto valueSens = torch::matmul(attn, vc).pow(2).sum(1).sqrt() / oNorm.unsqueeze(1);  // [Hq, D]
  out.keySensitivity = toHost(torch::stack(keySens, 1).view({H, group, D}).mean(1));
  out.valueSensitivity = toHost(valueSens.view({H, group, D}).mean(1));
  return out;
}

}  // namespace kvwb::core
