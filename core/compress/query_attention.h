// Internal to the compressors (includes torch): the real queries of FitInputs against the targets'
// keys, and causal softmax(QK^T / sqrt(D)) visited in query-row blocks to bound memory at long T.
// Used by the attention-driven methods (mixed precision importance, Fourier dimension choice).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "core/compress/compressor.h"

namespace kvwb::core {

struct QueryKeys {
  torch::Tensor q;  // [N, G, T, D]: the query heads reading each target's KV head
  torch::Tensor k;  // [N, T, D]: inputs.keys, or the batch itself when inputs.kind is "K"
};

// The queries as [N, G, T, D] (nullopt when inputs.queries is absent); throws std::invalid_argument
// naming `method` when their shape does not match the batch.
std::optional<torch::Tensor> queriesOf(const TargetBatch& batch, const FitInputs& inputs,
                                       const torch::Device& device, const std::string& method);
// Queries and keys; nullopt when there are no queries or no keys (kind is not "K" and
// inputs.keys is absent).
std::optional<QueryKeys> queryKeysOf(const TargetBatch& batch, const torch::Tensor& batchOnDevice,
                                     const FitInputs& inputs, const torch::Device& device,
                                     const std::string& method);

// Calls visit(firstRow, probs) with probs [N, G, rows, T] for consecutive query-row blocks.
void forEachAttentionBlock(const QueryKeys& qk,
                           const std::function<void(std::int64_t, const torch::Tensor&)>& visit);
// [N, T]: the attention token j receives, averaged over the G query heads and the T query
// positions (each row sums to 1).
torch::Tensor attentionImportance(const QueryKeys& qk);

}  // namespace kvwb::core
