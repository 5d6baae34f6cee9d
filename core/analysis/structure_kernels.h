// Batched structure kernels (LibTorch, CPU or CUDA) behind std types. A batch is N targets of
// T tokens x D dims, row-major [N, T, D]. Definitions: docs/ANALYSES.md; derived scalars live in
// structure_scalars.h. Pure functions; call from any one thread at a time per device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvwb::core {

struct TargetBatch {
  std::int64_t n = 0, t = 0, d = 0;
  std::vector<float> data;  // [n, t, d]
};

struct TargetStats {
  std::int64_t n = 0, maxLag = 0, freqs = 0, ranks = 0, dims = 0;
  std::vector<float> autocorr;      // [n, maxLag]: lag k = 1..maxLag, mean over non-constant dims
  std::vector<float> spearman;      // [n]: mean over t of Spearman(X[t,:], X[t+1,:])
  std::vector<float> spectrum;      // [n, freqs]: sum over dims of |rFFT_t(X - column means)|^2
  std::vector<float> singular;      // [n, ranks]: singular values of X, descending
  std::vector<float> dimMeanAbs;    // [n, dims]
  std::vector<float> dimMaxAbs;     // [n, dims]
  std::vector<float> dimMeanSq;     // [n, dims]: mean over tokens of x^2 (per-dim energy)
};

// `device`: "cpu", "cuda:0", ... (resolved by gpu::resolveDevice).
TargetStats computeTargetStats(const TargetBatch& batch, int maxLag, const std::string& device);

// One layer's attention from the stored queries and keys (GQA: query head q reads KV head
// q / (Hq / H)), causal softmax(QK^T / sqrt(D)).
struct LayerQKV {
  std::int64_t queryHeads = 0, kvHeads = 0, t = 0, d = 0;
  std::vector<float> q;  // [Hq, T, D]
  std::vector<float> k;  // [H, T, D]
  std::vector<float> v;  // [H, T, D]
};

struct AttentionStats {
  std::vector<float> sinkShare;       // [H, T]: mean over the head's query group and over query
                                      // positions of the attention token j receives (sums to 1)
  std::vector<float> keySensitivity;  // [H, D]: relative change of the attention output when key
                                      // dim d is replaced by its mean over tokens
  std::vector<float> valueSensitivity;  // [H, D]: same for value dim d
};

// `sensitivityQueries`: query positions (evenly spaced, the last always included) used for the
// sensitivity, which otherwise costs D full attentions per head.
AttentionStats computeAttentionStats(const LayerQKV& layer, int sensitivityQueries,
                                     const std::string& device);

}  // namespace kvwb::core
