// What a byte-budget allocation chose, in the forms `kvwb-cli allocate` prints and writes: the
// option counts, the best uniform choice at the same budget for comparison, one CSV row per target,
// and a sweep spec that runs the chosen fits (docs/ALLOCATION.md says what a spec cannot pin).
// No torch, no Qt; any thread.
//
//   const auto a = KnapsackSolver(table.knapsackOptions()).solve(budget);
//   writeAllocationCsv(table, a, file);
//   const nlohmann::json spec = allocationSpec(table, a, "demo-alloc", "ratio 4");
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/alloc/allocation_table.h"
#include "core/alloc/knapsack.h"

namespace kvwb::core {

// One option for every target: the one of least summed damage whose summed bytes fit `budget`
// (ties to fewer bytes); option -1 when none fits.
struct UniformChoice {
  int option = -1;
  double bytes = 0, damage = 0;
};
UniformChoice bestUniform(const AllocationTable& table, double budget);

// How many targets of each kind took an option, and their bytes and damage.
struct OptionUse {
  int option = 0;
  std::vector<std::pair<std::string, int>> kinds;  // ("K", 12), ("V", 8), in target order
  int targets = 0;
  double bytes = 0, damage = 0;
};
// The options chosen at least once, in the table's order.
std::vector<OptionUse> optionUses(const AllocationTable& table, const Allocation& allocation);

// capture,seq_len,layer,head,kind,method,params,bytes,<metric column>: one row per target, params
// as JSON (the job's, as its spec gave them). Returns the rows written.
std::size_t writeAllocationCsv(const AllocationTable& table, const Allocation& allocation, std::ostream& out);

// A sweep spec that fits every chosen option: one method entry per chosen (method, parameters),
// its spec's own "quality" kept; captures, sequence lengths and targets (layers, heads, kinds)
// the union of the chosen targets'; metrics, device and seed from the runs' spec. A spec's targets
// apply to all its methods, so every method runs on every target of the union: the per-target
// choice itself is the CSV's (the description says so). `budgetText` goes into the description.
nlohmann::json allocationSpec(const AllocationTable& table, const Allocation& allocation, const std::string& name,
                              const std::string& budgetText);

}  // namespace kvwb::core
