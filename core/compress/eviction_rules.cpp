// The eviction scoring rules (see eviction_rules.h and docs/EVICTION.md).
#include "core/compress/eviction_rules.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/compress/query_attention.h"

namespace kvwb::core {
namespace {

const torch::Tensor& queriesOf(const EvictionInputs& in, const char* method) {
  if (!in.queries.defined())
    throw std::invalid_argument(std::string(method) + ": needs the real queries (the capture has none)");
  return in.queries;
}

// The dims paired by RoPE: (first[p], second[p]) for p < D/2.
std::pair<torch::Tensor, torch::Tensor> ropePairs(std::int64_t D, bool interleaved,
                                                  const torch::Device& dev) {
  const auto longs = torch::TensorOptions().dtype(torch::kLong).device(dev);
  const auto p = torch::arange(D / 2, longs);
  return interleaved ? std::pair{2 * p, 2 * p + 1} : std::pair{p, p + D / 2};
}

// [T, D/2] rotation angles of positions `pos` (float64).
torch::Tensor ropeAngles(const torch::Tensor& pos, std::int64_t D, double theta) {
  const auto opts = pos.options();
  const auto inv = torch::pow(torch::tensor(theta, opts), -torch::arange(0, D, 2, opts) / static_cast<double>(D));
  return pos.unsqueeze(1) * inv.unsqueeze(0);
}

// Queries [N, G, T, D] after RoPE rotated back to before it.
torch::Tensor unrotate(const torch::Tensor& q, const RopeInfo& rope) {
  const auto T = q.size(2), D = q.size(3);
  const auto angles = ropeAngles(torch::arange(T, q.options()), D, rope.theta);  // [T, D/2]
  const auto [a, b] = ropePairs(D, rope.interleaved, q.device());
  const auto x1 = q.index_select(3, a), x2 = q.index_select(3, b);
  const auto c = angles.cos(), s = angles.sin();
  auto out = torch::empty_like(q);
  out.index_copy_(3, a, x1 * c + x2 * s);
  out.index_copy_(3, b, x2 * c - x1 * s);
  return out;
}

// The mean rotation matrix over positions [from, from + count), [D, D].
torch::Tensor meanRotation(std::int64_t from, std::int64_t count, std::int64_t D, const RopeInfo& rope,
                           const torch::TensorOptions& opts) {
  const auto angles = ropeAngles(torch::arange(from, from + count, opts), D, rope.theta);
  const auto c = angles.cos().mean(0), s = angles.sin().mean(0);  // [D/2]
  const auto [a, b] = ropePairs(D, rope.interleaved, opts.device());
  auto r = torch::zeros({D, D}, opts);
  r.index_put_({a, a}, c);
  r.index_put_({a, b}, -s);
  r.index_put_({b, a}, s);
  r.index_put_({b, b}, c);
  return r;
}

}  // namespace

torch::Tensor h2oScores(const EvictionInputs& in) {
  return attentionImportance({queriesOf(in, "h2o"), in.keys});
}

torch::Tensor snapkvScores(const EvictionInputs& in, std::int64_t observe, std::int64_t kernel,
                           bool maxPool) {
  const auto& q = queriesOf(in, "snapkv");
  const auto T = q.size(2), D = q.size(3), o = std::min(observe, T), prefix = T - o;
  auto scores = torch::zeros({q.size(0), T}, q.options());
  if (prefix == 0) return scores;
  const auto longs = torch::TensorOptions().dtype(torch::kLong).device(q.device());
  const auto future = torch::arange(T, longs).unsqueeze(0) > torch::arange(prefix, T, longs).unsqueeze(1);
  const auto logits = torch::matmul(q.narrow(2, prefix, o), in.keys.unsqueeze(1).transpose(2, 3)) /
                      std::sqrt(static_cast<double>(D));
  const auto attn = torch::softmax(logits.masked_fill(future, -INFINITY), -1).mean({1, 2});  // [N, T]
  const auto x = attn.narrow(1, 0, prefix).unsqueeze(1);
  const auto pooled = maxPool ? torch::max_pool1d(x, {kernel}, {1}, {kernel / 2})
                              : torch::avg_pool1d(x, {kernel}, {1}, {kernel / 2});
  scores.narrow(1, 0, prefix).copy_(pooled.squeeze(1));
  return scores;
}

torch::Tensor knormScores(const EvictionInputs& in) { return 1.0 / in.keys.norm(2, -1); }

torch::Tensor expectedAttentionScores(const EvictionInputs& in, const ExpectedAttentionOptions& o) {
  const auto& q = queriesOf(in, "expected_attention");
  if (!o.rope.known())
    throw std::invalid_argument(
        "expected_attention: needs the capture's rope_theta and rope_layout (an extracted capture "
        "without RoPE scaling) to model future queries");
  const auto N = q.size(0), T = q.size(2), D = q.size(3), s = std::min(o.sinks, T);
  auto scores = torch::zeros({N, T}, q.options());
  if (T - s == 0) return scores;
  const auto pre = unrotate(q, o.rope).narrow(2, s, T - s);  // [N, G, T - s, D]
  const auto mean = pre.mean(2);                             // [N, G, D]
  const auto rbar = meanRotation(T, o.future, D, o.rope, q.options());
  const auto k = in.keys.narrow(1, s, T - s).unsqueeze(1);   // [N, 1, T - s, D]
  const auto meanBar = torch::matmul(mean, rbar.t());        // [N, G, D]
  auto e = (k * meanBar.unsqueeze(2)).sum(-1) / std::sqrt(static_cast<double>(D));  // [N, G, T - s]
  if (o.covariance) {
    const auto centered = pre - mean.unsqueeze(2);
    const auto cov = torch::matmul(centered.transpose(2, 3), centered) / static_cast<double>(T - s);
    const auto covBar = torch::matmul(torch::matmul(rbar, cov), rbar.t());  // [N, G, D, D]
    e = e + (torch::matmul(k, covBar) * k).sum(-1) / (2.0 * static_cast<double>(D));
  }
  auto p = torch::softmax(e, -1).mean(1);  // [N, T - s]
  if (o.vnorm) p = p * in.values.narrow(1, s, T - s).norm(2, -1);
  scores.narrow(1, s, T - s).copy_(p);
  return scores;
}

std::vector<KeepMask> tovaKeep(const EvictionInputs& in, const std::vector<std::int64_t>& budgets,
                               const std::vector<KeepMask>& forced) {
  const auto qAll = queriesOf(in, "tova").to(torch::kCPU).contiguous();
  const auto kAll = in.keys.to(torch::kCPU).contiguous();
  const auto N = qAll.size(0), G = qAll.size(1), T = qAll.size(2), D = qAll.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<KeepMask> out;
  std::vector<double> logits, attn;
  for (std::int64_t i = 0; i < N; ++i) {
    const double* q = qAll.data_ptr<double>() + i * G * T * D;
    const double* k = kAll.data_ptr<double>() + i * T * D;
    std::vector<std::int64_t> cache;
    for (std::int64_t t = 0; t < T; ++t) {
      cache.push_back(t);
      if (static_cast<std::int64_t>(cache.size()) <= budgets[i]) continue;
      // Attention of query t over the cache, mean over the group.
      const auto C = cache.size();
      attn.assign(C, 0.0);
      for (std::int64_t g = 0; g < G; ++g) {
        logits.resize(C);
        double top = -std::numeric_limits<double>::infinity(), sum = 0;
        for (std::size_t c = 0; c < C; ++c) {
          double dot = 0;
          for (std::int64_t d = 0; d < D; ++d) dot += q[(g * T + t) * D + d] * k[cache[c] * D + d];
          logits[c] = dot * scale;
          top = std::max(top, logits[c]);
        }
        for (auto& l : logits) sum += (l = std::exp(l - top));
        for (std::size_t c = 0; c < C; ++c) attn[c] += logits[c] / sum / static_cast<double>(G);
      }
      std::size_t drop = C;
      for (std::size_t c = 0; c < C; ++c)
        if (!forced[i][cache[c]] && (drop == C || attn[c] < attn[drop])) drop = c;
      if (drop < C) cache.erase(cache.begin() + static_cast<std::ptrdiff_t>(drop));
    }
    KeepMask kept(static_cast<std::size_t>(T), 0);
    for (const auto j : cache) kept[j] = 1;
    out.push_back(std::move(kept));
  }
  return out;
}

std::vector<std::vector<double>> hostRows(const torch::Tensor& scores) {
  const auto c = scores.to(torch::kCPU, torch::kFloat64).contiguous();
  std::vector<std::vector<double>> rows;
  for (std::int64_t i = 0; i < c.size(0); ++i)
    rows.emplace_back(c.data_ptr<double>() + i * c.size(1), c.data_ptr<double>() + (i + 1) * c.size(1));
  return rows;
}

}  // namespace kvwb::core
