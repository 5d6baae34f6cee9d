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

}  // namespace kvwb::core
