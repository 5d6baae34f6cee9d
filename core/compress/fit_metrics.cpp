// Batched fit metrics in LibTorch (float64 accumulation).
#include "core/compress/fit_metrics.h"

#include <torch/torch.h>

#include <cmath>

namespace kvwb::core {
namespace {
torch::Tensor load(const std::vector<float>& v, std::int64_t n, std::int64_t t, std::int64_t d,
                   const torch::Device& dev) {
  return torch::from_blob(const_cast<float*>(v.data()), {n, t, d}, torch::kFloat32).to(dev).to(torch::kFloat64);
}


// [N, T] true where a target evicted the token (all false without eviction).
torch::Tensor evictedTokens(const std::vector<std::vector<std::uint8_t>>& kept, std::int64_t N,
                            std::int64_t T, const torch::Device& dev) {
  std::vector<std::uint8_t> evicted(static_cast<std::size_t>(N * T), 0);
  for (std::int64_t i = 0; i < std::min<std::int64_t>(N, static_cast<std::int64_t>(kept.size())); ++i)
    for (std::int64_t j = 0; j < std::min<std::int64_t>(T, static_cast<std::int64_t>(kept[i].size())); ++j)
      evicted[i * T + j] = kept[i][j] ? 0 : 1;
  return torch::from_blob(evicted.data(), {N, T}, torch::kUInt8).to(dev).to(torch::kBool);
}
}  // namespace

std::vector<FitMetrics> computeFitMetrics(const TargetBatch& original, const std::vector<float>& recon,
                                          const AttentionContext* att, const std::string& device,
                                          const std::vector<std::vector<std::uint8_t>>& kept) {
  torch::NoGradGuard noGrad;
  const torch::Device dev(device);
  const auto N = original.n, T = original.t, D = original.d;
  const auto x = load(original.data, N, T, D, dev), y = load(recon, N, T, D, dev);
  // Token cosine: tokens where both vectors are zero count as 1, one zero as 0.
  const auto nx = x.norm(2, -1), ny = y.norm(2, -1);
  const auto dot = (x * y).sum(-1);
  const auto bothZero = (nx == 0) & (ny == 0);
  const auto cos = torch::where(bothZero, torch::ones_like(dot), dot / (nx * ny).clamp_min(1e-300));
  const auto cosMean = cos.mean(1);
  const auto rel = (x - y).flatten(1).norm(2, 1) / x.flatten(1).norm(2, 1).clamp_min(1e-300);

  torch::Tensor outErr, kl;
  if (att && att->queries) {
    const auto G = att->queriesPerTarget;
    const auto q = load(att->queries->data, N * G, T, D, dev).view({N, G, T, D});
    const auto k = load(att->keys->data, N, T, D, dev), v = load(att->values->data, N, T, D, dev);
    const auto isK = torch::from_blob(const_cast<char*>(att->isKeys.data()), {N}, torch::kInt8)
                         .to(dev).to(torch::kBool).view({N, 1, 1});
    const auto k2 = torch::where(isK, y, k), v2 = torch::where(isK.logical_not(), y, v);
    const auto mask = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(dev)).triu(1);
    // Per target: the causal mask, plus evicted tokens hidden from all queries but their own.
    const auto evicted = evictedTokens(kept, N, T, dev);
    const auto ownToken = torch::eye(T, torch::TensorOptions().dtype(torch::kBool).device(dev));
    const auto evicting = evicted.any(1);  // [N]
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    // Targets in chunks so the [chunk, G, T, T] attention maps stay near 16M elements.
    const auto chunk = std::max<std::int64_t>(1, (std::int64_t{1} << 24) / (G * T * T));
    std::vector<torch::Tensor> errs, kls;
    for (std::int64_t i0 = 0; i0 < N; i0 += chunk) {
      const auto n = std::min(chunk, N - i0);
      const auto qc = q.narrow(0, i0, n);
      auto logAttn = [&](const torch::Tensor& keys, const torch::Tensor& hide) {
        const auto s = torch::matmul(qc, keys.narrow(0, i0, n).unsqueeze(1).transpose(2, 3)) * scale;
        return torch::log_softmax(s.masked_fill(hide, -INFINITY), -1);  // [n, G, T, T]
      };
      const auto hide =
          mask.logical_or(evicted.narrow(0, i0, n).view({n, 1, 1, T}).logical_and(ownToken.logical_not()));
      const auto la = logAttn(k, mask), lb = logAttn(k2, hide);
      const auto o = torch::matmul(la.exp(), v.narrow(0, i0, n).unsqueeze(1));
      const auto o2 = torch::matmul(lb.exp(), v2.narrow(0, i0, n).unsqueeze(1));
      errs.push_back((o2 - o).flatten(1).norm(2, 1) / o.flatten(1).norm(2, 1).clamp_min(1e-300));
      // KL(A || A') per query row (masked entries contribute 0), mean over heads and rows; with
      // evicted tokens KL(A' || A), the finite direction.
      const auto forward = la.exp() * (la - lb), reverse = lb.exp() * (lb - la);
      const auto fwd = torch::where(mask, torch::zeros_like(forward), forward).sum(-1).mean({1, 2});
      const auto rev = torch::where(hide, torch::zeros_like(reverse), reverse).sum(-1).mean({1, 2});
      kls.push_back(torch::where(evicting.narrow(0, i0, n), rev, fwd));
    }
    outErr = torch::cat(errs);
    kl = torch::cat(kls);
  }
  const auto c = cosMean.cpu(), r = rel.cpu();
  std::vector<FitMetrics> out(static_cast<std::size_t>(N));
  for (std::int64_t i = 0; i < N; ++i) {
    out[i][FitMetric::CosSim] = c[i].item<double>();
    out[i][FitMetric::RelErr] = r[i].item<double>();
    if (outErr.defined()) out[i][FitMetric::AttnOutErr] = outErr[i].item<double>();
    if (kl.defined()) out[i][FitMetric::AttnKl] = std::max(0.0, kl[i].item<double>());
  }
  return out;
}

}  // namespace kvwb::core
