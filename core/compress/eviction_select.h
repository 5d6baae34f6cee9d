// Which tokens an eviction fit keeps, given per-token scores (docs/EVICTION.md "Budget" and
// "Budgets across the cache"): each target's token budget (uniform or PyramidKV per layer), its
// forced tokens (sinks, recent window), the highest-scoring rest, or AdaKV's budget shared by a
// layer's targets. Std-typed, no torch; any thread.
//
//   auto n = pyramidBudgets(64, 5, 20.0, 448);               // per layer
//   auto kept = keepTopScores(scores, forced, n[layer]);     // T flags
#pragma once

#include <cstdint>
#include <vector>

namespace kvwb::core {

using KeepMask = std::vector<std::uint8_t>;  // T flags, 1 = kept

// PyramidKV: the budget of each of `layers` layers for a mean budget n, the top layer n / beta,
// linear in between, each clamped to [1, T].
std::vector<std::int64_t> pyramidBudgets(std::int64_t n, int layers, double beta, std::int64_t T);

// The forced tokens of a budget of n among T: the first min(sinks, n), then the last
// min(recent, n - sinks kept).
KeepMask forcedTokens(std::int64_t T, std::int64_t n, std::int64_t sinks, std::int64_t recent);

// The forced tokens plus the n - |forced| highest scores among the others (ties: the earlier
// position). scores: T values, higher = keep.
KeepMask keepTopScores(const std::vector<double>& scores, const KeepMask& forced, std::int64_t n);

// AdaKV over the targets of one layer: together they keep targets.size() * n tokens. Each
// target's non-forced scores are normalised to sum 1; each takes its forced tokens and its best
// others up to max(|forced|, floor(floorShare * n)); the rest of the layer's budget goes to the
// highest normalised scores across the targets (ties: earlier target, then earlier position).
std::vector<KeepMask> adakvKeep(const std::vector<std::vector<double>>& scores,
                                const std::vector<KeepMask>& forced, std::int64_t n,
                                double floorShare);

// Bytes of the kept positions: the cheaper of a list (kept * ceil(log2 T) bits) and a T-bit mask,
// in whole bytes.
double keptIndexBytes(std::int64_t kept, std::int64_t T);

}  // namespace kvwb::core
