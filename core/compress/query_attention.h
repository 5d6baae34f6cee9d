// Internal to the compressors (includes torch): the real queries of FitInputs against the targets'
// keys, and causal softmax(QK^T / sqrt(D)) visited in query-row blocks to bound memory at long T.
// Used by the attention-driven methods (mixed precision importance, Fourier dimension choice) and
// the seed's curvature scores (mixed precision importance variants, the precision bound).
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

// The HNF precision analyzer's per-position scores (docs/PRECISION_BOUND.md), each [N, T]. With
// out_i = sum_t a_it V_t: per query i and position t, for keys (wrtKeys)
//   |d out_i / d K_t|    = a_it |V_t - out_i| |q_i| / sqrt(D)
//   |d2 out_i / d K_t^2| = a_it |1 - 2 a_it| |V_t - out_i| |q_i|^2 / D
// (Frobenius norms), for values |d out_i / d V_t| = a_it sqrt(D) and a zero Hessian. gradient
// and hessian are the RMS over the (query head, query position) pairs that see t (causal).
struct CurvatureScores {
  torch::Tensor attention;  // attentionImportance
  torch::Tensor gradient, hessian;
  torch::Tensor hybrid() const { return attention * gradient * hessian; }  // the seed's kappa_t
};
// `values`: [N, T, D], the values the queries read (qk.k's partners); computed in the dtype of
// qk.q, in query-row blocks.
CurvatureScores curvatureScores(const QueryKeys& qk, const torch::Tensor& values, bool wrtKeys);

}  // namespace kvwb::core
