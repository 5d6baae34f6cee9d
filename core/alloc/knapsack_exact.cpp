// Exact multiple-choice knapsack by dynamic programming over bytes (see knapsack_exact.h).
#include "core/alloc/knapsack_exact.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

namespace kvwb::core {

std::optional<Allocation> solveExactly(const std::vector<std::vector<Option>>& targets, double budget,
                                       double maxCells) {
  const KnapsackSolver check(targets);  // validates the options; minBytes
  if (!(budget >= check.minBytes())) check.solve(budget);  // throws naming both
  std::int64_t step = 0;
  for (const auto& t : targets) {
    if (t.size() > std::numeric_limits<std::uint16_t>::max()) return std::nullopt;
    for (const auto& o : t) {
      if (o.bytes != std::floor(o.bytes) || o.bytes > 9e15) return std::nullopt;
      step = std::gcd(step, static_cast<std::int64_t>(o.bytes));
    }
  }
  // Weights above each target's cheapest option, in steps; the capacity what the budget leaves.
  std::vector<std::vector<std::int64_t>> extra(targets.size());
  std::int64_t least = 0, most = 0;  // the cheapest choice's bytes; the most steps any choice adds
  for (std::size_t t = 0; t < targets.size(); ++t) {
    std::int64_t cheapest = std::numeric_limits<std::int64_t>::max(), widest = 0;
    for (const auto& o : targets[t]) cheapest = std::min(cheapest, static_cast<std::int64_t>(o.bytes));
    least += cheapest;
    for (const auto& o : targets[t]) {
      extra[t].push_back(step ? (static_cast<std::int64_t>(o.bytes) - cheapest) / step : 0);
      widest = std::max(widest, extra[t].back());
    }
    most += widest;
  }
  // More steps than every target's largest option adds change nothing.
  const double steps = step ? std::floor((std::floor(budget) - static_cast<double>(least)) / static_cast<double>(step)) : 0;
  const std::int64_t capacity = std::min(most, static_cast<std::int64_t>(std::min(steps, 9e15)));
  if (static_cast<double>(targets.size()) * static_cast<double>(capacity + 1) > maxCells) return std::nullopt;

  // best[c]: the least damage of the targets so far within c steps; pick[t][c]: target t's option.
  const auto cells = static_cast<std::size_t>(capacity + 1);
  const double none = std::numeric_limits<double>::infinity();
  std::vector<double> best(cells, 0.0), next(cells);
  std::vector<std::vector<std::uint16_t>> pick(targets.size(), std::vector<std::uint16_t>(cells));
  for (std::size_t t = 0; t < targets.size(); ++t) {
    std::fill(next.begin(), next.end(), none);
    for (std::size_t o = 0; o < targets[t].size(); ++o) {
      const auto w = static_cast<std::size_t>(extra[t][o]);
      const double d = targets[t][o].damage;
      for (std::size_t c = w; c < cells; ++c) {
        const double v = best[c - w] + d;
        if (v < next[c]) next[c] = v, pick[t][c] = static_cast<std::uint16_t>(o);
      }
    }
    best.swap(next);
  }
  // The fewest steps that reach the least damage, then back through the picks.
  std::size_t c = 0;
  for (std::size_t i = 1; i < cells; ++i)
    if (best[i] < best[c]) c = i;
  Allocation a;
  a.choice.resize(targets.size());
  for (std::size_t t = targets.size(); t-- > 0;) {
    a.choice[t] = pick[t][c];
    c -= static_cast<std::size_t>(extra[t][a.choice[t]]);
  }
  for (std::size_t t = 0; t < targets.size(); ++t)
    a.bytes += targets[t][a.choice[t]].bytes, a.damage += targets[t][a.choice[t]].damage;
  a.lowerBound = a.damage;
  return a;
}

}  // namespace kvwb::core
