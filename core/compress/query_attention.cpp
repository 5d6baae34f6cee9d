// Real-query attention for the compressors (see query_attention.h).
#include "core/compress/query_attention.h"

#include <cmath>
#include <stdexcept>

#include "core/compress/compress_common.h"

namespace kvwb::core {

std::optional<torch::Tensor> queriesOf(const TargetBatch& batch, const FitInputs& inputs,
                                       const torch::Device& device, const std::string& method) {
  if (!inputs.queries) return std::nullopt;
  const auto& q = *inputs.queries;
  checkBatch(q, method, "inputs.queries");
  const auto g = inputs.queriesPerTarget;
  if (g <= 0 || q.n != batch.n * g || q.t != batch.t || q.d != batch.d)
    throw std::invalid_argument(method + ": inputs.queries [" + std::to_string(q.n) + ", " +
                                std::to_string(q.t) + ", " + std::to_string(q.d) + "] with " +
                                std::to_string(g) + " per target do not match the batch [" +
                                std::to_string(batch.n) + ", " + std::to_string(batch.t) + ", " +
                                std::to_string(batch.d) + "]");
  return batchTensor(q, device).view({batch.n, g, batch.t, batch.d});
}

std::optional<QueryKeys> queryKeysOf(const TargetBatch& batch, const torch::Tensor& batchOnDevice,
                                     const FitInputs& inputs, const torch::Device& device,
                                     const std::string& method) {
  auto q = queriesOf(batch, inputs, device, method);
  if (!q) return std::nullopt;
  if (inputs.keys) {
    const auto& k = *inputs.keys;
    checkBatch(k, method, "inputs.keys");
    if (k.n != batch.n || k.t != batch.t || k.d != batch.d)
      throw std::invalid_argument(method + ": inputs.keys do not match the batch's shape");
    return QueryKeys{*q, batchTensor(k, device)};
  }
  if (inputs.kind == "K") return QueryKeys{*q, batchOnDevice};
  return std::nullopt;
}

void forEachAttentionBlock(const QueryKeys& qk,
                           const std::function<void(std::int64_t, const torch::Tensor&)>& visit) {
  const auto n = qk.q.size(0), g = qk.q.size(1), t = qk.q.size(2), d = qk.q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const auto keysT = qk.k.unsqueeze(1).transpose(2, 3);  // [N, 1, D, T]
  const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{1} << 24) / (n * g * t));
  const auto opts = torch::TensorOptions().device(qk.q.device()).dtype(torch::kLong);
  const auto cols = torch::arange(t, opts);
  for (std::int64_t r0 = 0; r0 < t; r0 += block) {
    const auto rows = std::min(block, t - r0);
    const auto future = cols.unsqueeze(0) > torch::arange(r0, r0 + rows, opts).unsqueeze(1);
    const auto scores = torch::matmul(qk.q.narrow(2, r0, rows), keysT) * scale;
    visit(r0, torch::softmax(scores.masked_fill(future, -INFINITY), -1));
  }
}

torch::Tensor attentionImportance(const QueryKeys& qk) {
  auto received = torch::zeros({qk.q.size(0), qk.q.size(2)}, qk.q.options());
  forEachAttentionBlock(qk, [&](std::int64_t, const torch::Tensor& probs) {
    received += probs.sum({1, 2});
  });
  return received / static_cast<double>(qk.q.size(1) * qk.q.size(2));
}

CurvatureScores curvatureScores(const QueryKeys& qk, const torch::Tensor& values, bool wrtKeys) {
  const auto g = qk.q.size(1), t = qk.q.size(2);
  const double d = static_cast<double>(qk.q.size(3));
  const auto v = values.to(qk.q.dtype()).unsqueeze(1);  // [N, 1, T, D]
  const auto vNorm2 = v.pow(2).sum(-1).unsqueeze(2);     // [N, 1, 1, T]
  auto grad2 = torch::zeros({qk.q.size(0), t}, qk.q.options()), hess2 = torch::zeros_like(grad2);
  forEachAttentionBlock(qk, [&](std::int64_t r0, const torch::Tensor& probs) {
    const auto p2 = probs.pow(2);
    if (!wrtKeys) {
      grad2 += p2.sum({1, 2}) * d;
      return;
    }
    const auto out = torch::matmul(probs, v);  // [N, G, rows, D]
    // |V_t - out_i|^2 = |V_t|^2 - 2 V_t.out_i + |out_i|^2, [N, G, rows, T]
    const auto dist2 = (vNorm2 - 2 * torch::matmul(out, v.transpose(2, 3)) +
                        out.pow(2).sum(-1, true)).clamp_min(0);
    const auto q2 = qk.q.narrow(2, r0, probs.size(2)).pow(2).sum(-1, true) / d;  // |q_i|^2 / D
    const auto g2 = p2 * dist2 * q2;
    grad2 += g2.sum({1, 2});
    hess2 += (g2 * (1 - 2 * probs).pow(2) * q2).sum({1, 2});
  });
  // The pairs that see position t: G heads x the T - t query positions from t on.
  const auto seen = (t - torch::arange(t, qk.q.options())) * static_cast<double>(g);
  return {attentionImportance(qk), (grad2 / seen).sqrt(), (hess2 / seen).sqrt()};
}

}  // namespace kvwb::core
