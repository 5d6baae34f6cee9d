// What a byte-budget allocation is measured against at the same budget (issue 18, item 2;
// docs/ALLOCATION.md "Measured, not only predicted"): the best uniform option, the best allocation
// within each method family, and PyramidKV-style per-layer budgets (a linear schedule over depth,
// one option per layer). Each is a choice of one option per target of the table, with its
// predicted bytes and damage; allocationSpec (allocation_output.h) turns them into jobs. No torch,
// no Qt; any thread.
//
//   const auto best = kvwb::core::bestAllocation(table, budget);
//   for (const auto& c : kvwb::core::allocationContenders(table, budget)) ...c.label, c.choice
#pragma once

#include <string>
#include <vector>

#include "core/alloc/allocation_table.h"
#include "core/alloc/knapsack.h"

namespace kvwb::core {

// The least-damage allocation within `budget` using only the option columns `columns` (every
// column when empty), heads coupled where eviction requires (AllocationSolver::best): the exact
// programme where it fits, else LP + greedy repair with its gap; `choice` holds table columns.
// Throws std::invalid_argument when the budget is below the cheapest choice of those columns.
Allocation bestAllocation(const AllocationTable& table, double budget, const std::vector<int>& columns = {});

struct Contender {
  std::string label;        // "best uniform", "best low-rank", "pyramid layer budgets (beta 20)"
  std::vector<int> choice;  // the option column per target; empty: none fits the budget
  double bytes = 0, damage = 0;  // predicted, by the table
  std::string note;         // why it is empty, or what it chose ("svd rank=2")
};

// PyramidKV's per-layer shares of a budget (Cai et al. 2024): linear in depth from
// 2 - 1/beta (the first layer) to 1/beta (the last), mean 1, over `layers` layers.
std::vector<double> pyramidShares(int layers, double beta);

// The baselines at `budget`: the best uniform option; per family present in the table, the best
// allocation among its options; and the pyramid: each layer's budget by pyramidShares over the
// layers the table holds (scaled by the layer's raw bytes, clamped to what the layer can use
// — its cheapest and its least-damage uniform option — the rest rescaled so they sum to the
// budget), then the layer's best uniform option within it. `beta` > 1 (PyramidKV's default 20).
std::vector<Contender> allocationContenders(const AllocationTable& table, double budget, double beta = 20);

}  // namespace kvwb::core
