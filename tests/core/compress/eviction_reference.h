// An independent reference for the token-eviction protocol of docs/EVICTION.md, written from the
// document alone (plain loops in double precision, no torch) so that the tests can check the
// LibTorch implementation in core/compress/ against it: budgets, per-token scores, kept sets,
// PyramidKV and AdaKV budgets, and the masked "attention with the real queries" metrics.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kvwb::test::eviction {

struct Head {  // one target's inputs, row-major, double
  int T = 0, D = 0, G = 0;
  std::vector<double> keys, values;  // [T, D], keys after RoPE
  std::vector<double> queries;       // [G, T, D], after RoPE
};

struct Rope {
  double theta = 10000;
  bool interleaved = false;
};

// This target's token budget n from params "keep_ratio" (n = max(1, lround(r*T))) or "budget"
// (min(b, T)). Throws std::invalid_argument when neither or both are given.
int uniformBudget(const nlohmann::json& params, int T);

// Per-token scores of a scored method (h2o, snapkv, knorm, expected_attention), higher = keep,
// with NaN at the forced positions (sinks, window, snapkv observation window) for budget n.
// Parameters absent from `params` take the defaults of the doc's table.
std::vector<double> scores(const std::string& method, const nlohmann::json& params,
                           const Head& head, int n, const Rope& rope);

// The kept set (T flags, 1 = kept) of streaming, h2o, tova, snapkv, knorm, expected_attention for
// budget n.
std::vector<char> keptSet(const std::string& method, const nlohmann::json& params,
                          const Head& head, int n, const Rope& rope);

// PyramidKV per-layer budgets (one per layer), doc section "Budgets across the cache".
std::vector<int> pyramidBudgets(int n, int layers, double beta, int T);

// AdaKV: the targets of one layer sharing layerHeads.size() * n tokens; floorShare = 0.2 by
// default in the doc.
std::vector<std::vector<char>> adakvKeptSets(const std::string& method,
                                             const nlohmann::json& params,
                                             const std::vector<Head>& layerHeads, int n,
                                             const Rope& rope, double floorShare);

struct AttentionMetrics {
  double outErr = 0, kl = 0;
};

// The doc's "Attention with the real queries" for one target: recon is the [T, D] reconstruction
// that replaces K (isKeys) or V; kept: T flags (all 1 = no eviction, then KL is the forward
// KL(A||A') as for every other method, mean over heads and rows; with any evicted token it is the
// reverse KL(A'||A)). Query row i sees kept j<=i plus i itself. outErr = ||O'-O||_F / ||O||_F
// over all G heads and T rows.
AttentionMetrics maskedAttentionMetrics(const Head& exact, const std::vector<double>& recon,
                                        bool isKeys, const std::vector<char>& kept);

}  // namespace kvwb::test::eviction
