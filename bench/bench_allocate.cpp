// The byte-budget allocator's slider (issue 18): re-solving one option table for 100 budgets, with
// the hulls and sorted segments precomputed once (KnapsackSolver::solve) next to two baselines in
// the same run: rebuilding them for every budget (solveMultipleChoiceKnapsack), and a plain greedy
// that upgrades from every target's cheapest option by damage saved per byte. Prints median and
// max milliseconds per budget and the worst gap to the LP lower bound. The table is SYNTHETIC, not
// measured fits: Llama-3-8B-sized, 32 layers x 8 KV heads x K, V = 512 targets of 8192 x 128, each
// with 5 methods x 10 ratios of seeded random damage curves. Then the same cells with each head's
// keys and values chosen together (AllocationSolver, as `allocate` and the Allocation view run it).
//   bench_allocate [TARGETS [OPTIONS [BUDGETS]]]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "core/alloc/allocation_solver.h"
#include "core/alloc/knapsack.h"

using kvwb::core::Allocation;
using kvwb::core::KnapsackSolver;
using kvwb::core::Option;
using Table = std::vector<std::vector<Option>>;

namespace {

constexpr double kRawBytes = 2.0 * 8192 * 128;  // one target at float16

// Per target, `options` options as methods x ratios: bytes = raw / ratio, damage = a * ratio^p
// with a per target and method scale and exponent, noise, and a floor.
Table syntheticTable(int targets, int options, std::mt19937& rng) {
  std::lognormal_distribution<double> scale(-6, 1.5);
  std::uniform_real_distribution<double> exponent(0.8, 2.5), noise(0.9, 1.1);
  const int methods = 5, ratios = std::max(1, options / methods);
  Table table(targets);
  for (auto& t : table) {
    int id = 0;
    for (int m = 0; m < methods && id < options; ++m) {
      const double a = scale(rng), p = exponent(rng);
      for (int r = 0; r < ratios && id < options; ++r) {
        const double ratio = 1.25 * std::pow(64 / 1.25, r / double(ratios - 1));  // 1.25x .. 64x
        t.push_back({std::round(kRawBytes / ratio * noise(rng)), a * std::pow(ratio, p) * noise(rng), id++});
      }
    }
  }
  return table;
}

// The baseline greedy: every target at its cheapest option, then the upgrade that saves the most
// damage per byte and fits, until none does.
Allocation plainGreedy(const Table& table, double budget) {
  Allocation a;
  for (const auto& t : table) {
    const auto it = std::min_element(t.begin(), t.end(), [](const Option& x, const Option& y) {
      return x.bytes != y.bytes ? x.bytes < y.bytes : x.damage < y.damage;
    });
    a.choice.push_back(static_cast<int>(it - t.begin()));
    a.bytes += it->bytes, a.damage += it->damage;
  }
  for (;;) {
    int bestT = -1, bestO = -1;
    double bestScore = 0;
    for (std::size_t t = 0; t < table.size(); ++t) {
      const Option& c = table[t][a.choice[t]];
      for (std::size_t o = 0; o < table[t].size(); ++o) {
        const Option& x = table[t][o];
        const double extra = x.bytes - c.bytes, save = c.damage - x.damage;
        if (save <= 0 || a.bytes + extra > budget) continue;
        const double score = extra > 0 ? save / extra : INFINITY;
        if (score > bestScore) bestT = static_cast<int>(t), bestO = static_cast<int>(o), bestScore = score;
      }
    }
    if (bestT < 0) return a;
    const Option &c = table[bestT][a.choice[bestT]], &x = table[bestT][bestO];
    a.bytes += x.bytes - c.bytes, a.damage += x.damage - c.damage;
    a.choice[bestT] = bestO;
  }
}

// The same cells as an option table of heads: targets 2h and 2h + 1 are one KV head's keys and
// values, and the last two methods evict, each ratio its own token selection, so the allocator
// chooses each head's keys and values together (AllocationSolver).
kvwb::core::AllocationTable headTable(const Table& cells, int options) {
  kvwb::core::AllocationTable table;
  const int methods = 5, ratios = std::max(1, options / methods);
  for (std::size_t t = 0; t < cells.size(); ++t)
    table.targets.push_back({"synthetic", 8192, static_cast<int>(t / 16), static_cast<int>(t / 2 % 8), t % 2 ? "V" : "K",
                             kRawBytes});
  for (int o = 0; o < options; ++o) {
    kvwb::core::AllocationOption option;
    option.method = "m" + std::to_string(o / ratios);
    option.selection = o / ratios >= methods - 2 ? "evict " + std::to_string(o % ratios) : "";
    table.options.push_back(option);
  }
  for (const auto& t : cells)
    for (const auto& o : t) table.bytes.push_back(o.bytes), table.damage.push_back(o.damage);
  return table;
}

struct Timing {
  std::vector<double> ms;
  double worstGap = 0;  // % above the LP lower bound
  bool overBudget = false;
};

Timing timeEach(const std::vector<double>& budgets, const std::vector<double>& lowerBounds,
                const std::function<Allocation(double)>& solve) {
  Timing t;
  for (std::size_t i = 0; i < budgets.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Allocation a = solve(budgets[i]);
    t.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    t.worstGap = std::max(t.worstGap, 100 * (a.damage - lowerBounds[i]) / a.damage);
    t.overBudget = t.overBudget || a.bytes > budgets[i];
  }
  return t;
}

void print(const char* name, Timing t) {
  std::sort(t.ms.begin(), t.ms.end());
  std::printf("%-36s %10.3f %10.3f %14.3g %s\n", name, t.ms[t.ms.size() / 2], t.ms.back(), t.worstGap,
              t.overBudget ? "OVER BUDGET" : "");
}

}  // namespace

int main(int argc, char** argv) {
  const int targets = argc > 1 ? std::atoi(argv[1]) : 512;
  const int options = argc > 2 ? std::atoi(argv[2]) : 50;
  const int count = argc > 3 ? std::atoi(argv[3]) : 100;
  std::mt19937 rng(18);
  const Table table = syntheticTable(targets, options, rng);
  std::printf("allocate bench: SYNTHETIC table (seeded random damage curves, not measured fits), %d targets x %d "
              "options, %d budgets from ratio 2x to 32x of the raw float16 cache\n",
              targets, options, count);
  auto start = std::chrono::steady_clock::now();
  const KnapsackSolver solver(table);
  const double buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> budgets, lowerBounds;
  for (int i = 0; i < count; ++i) {
    const double ratio = 2 * std::pow(16.0, i / double(std::max(1, count - 1)));
    budgets.push_back(std::max(solver.minBytes(), targets * kRawBytes / ratio));
    lowerBounds.push_back(solver.solve(budgets.back()).lowerBound);
  }
  std::printf("\n%-36s %10s %10s %14s\n", "implementation (per budget)", "median ms", "max ms", "worst gap %");
  print("precomputed solver: solve(budget)", timeEach(budgets, lowerBounds, [&](double b) { return solver.solve(b); }));
  print("rebuild hulls and segments each time", timeEach(budgets, lowerBounds, [&](double b) {
          return kvwb::core::solveMultipleChoiceKnapsack(table, b);
        }));
  print("plain greedy from the cheapest", timeEach(budgets, lowerBounds, [&](double b) { return plainGreedy(table, b); }));
  std::printf("\nsolver construction (once per table): %.3f ms; target: < 100 ms per budget\n", buildMs);

  // The slider as the Allocation view runs it: heads' keys and values coupled.
  start = std::chrono::steady_clock::now();
  const kvwb::core::AllocationSolver heads(headTable(table, options));
  const double headsMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> headBudgets, headBounds;
  for (double b : budgets) {
    headBudgets.push_back(std::max(b, heads.minBytes()));
    headBounds.push_back(heads.solve(headBudgets.back()).lowerBound);
  }
  std::printf("\n%zu heads' keys and values coupled (2 of 5 methods evict): %zu items, %zu undominated pair "
              "options\n",
              heads.itemCount(), heads.itemCount(), heads.optionCount());
  print("coupled: AllocationSolver::solve", timeEach(headBudgets, headBounds, [&](double b) { return heads.solve(b); }));
  std::printf("coupled solver construction (once per table): %.3f ms\n", headsMs);
  return 0;
}
