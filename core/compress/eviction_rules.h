// Internal to the eviction methods (includes torch): the scoring rules of docs/EVICTION.md over a
// batch of targets, from the targets' own prefix only (keys, values, their query group's
// queries), in float64. Higher score = kept. One thread per call.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/compress/compressor.h"
#include "core/compress/eviction_select.h"

namespace kvwb::core {

// One batch's inputs on the device, float64.
struct EvictionInputs {
  torch::Tensor keys, values;  // [N, T, D], keys after RoPE
  torch::Tensor queries;       // [N, G, T, D] after RoPE, or undefined
};

// H2O: attention each token receives from every prefix query, mean over the group. [N, T]
torch::Tensor h2oScores(const EvictionInputs& in);
// SnapKV: mean attention from the last `observe` queries, pooled along the tokens (avg or max
// of odd `kernel`); the observation window's own tokens score 0 (they are forced). [N, T]
torch::Tensor snapkvScores(const EvictionInputs& in, std::int64_t observe, std::int64_t kernel,
                           bool maxPool);
// 1 / key norm. [N, T]
torch::Tensor knormScores(const EvictionInputs& in);

struct ExpectedAttentionOptions {
  std::int64_t sinks = 4, future = 512;
  bool covariance = true, vnorm = true;
  RopeInfo rope;
};
// Expected Attention (kvpress): a Gaussian of the future queries from the prefix's pre-RoPE query
// statistics, averaged over the next `future` rotations; sinks score 0 (they are forced). [N, T]
torch::Tensor expectedAttentionScores(const EvictionInputs& in, const ExpectedAttentionOptions& o);

// TOVA's kept set of each target (budgets[i] tokens), never dropping a forced token.
std::vector<KeepMask> tovaKeep(const EvictionInputs& in, const std::vector<std::int64_t>& budgets,
                               const std::vector<KeepMask>& forced);

// The rows of a [N, T] float64 tensor on the host.
std::vector<std::vector<double>> hostRows(const torch::Tensor& scores);

}  // namespace kvwb::core
