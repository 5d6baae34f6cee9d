// The exact optimum of a byte-budget allocation (knapsack.h) by dynamic programming over bytes,
// for tables small enough: whole-number bytes, counted in steps of their greatest common divisor,
// each target's cheapest option taken out first. For the CLI and for checking the LP solver; a
// slider uses KnapsackSolver. Pure function; any thread.
//
//   if (auto best = kvwb::core::solveExactly(options, budget)) use(*best);  // else KnapsackSolver
#pragma once

#include <optional>
#include <vector>

#include "core/alloc/knapsack.h"

namespace kvwb::core {

// The least-damage choice within `budget` (ties to fewer bytes), its lowerBound its damage and its
// gap 0; nullopt when some option's bytes are not a whole number, a target has more than 65535
// options, or the programme would need more than `maxCells` cells (targets x budget steps; 2
// bytes each). Throws std::invalid_argument as KnapsackSolver does (a budget below the cheapest
// choice, bad options).
std::optional<Allocation> solveExactly(const std::vector<std::vector<Option>>& targets, double budget,
                                       double maxCells = 2e7);

}  // namespace kvwb::core
