// What a byte-budget allocation chose, in the forms `kvwb-cli allocate` prints and writes: the
// option counts, the best uniform choice at the same budget for comparison, one CSV row per target,
// and a sweep spec that measures it beside its baselines (docs/ALLOCATION.md).
// No torch, no Qt; any thread.
//
//   const auto a = AllocationSolver(table).best(budget);
//   writeAllocationCsv(table, a, file);
//   const nlohmann::json spec = allocationSpec(table, a, budget, "demo-alloc", "ratio 4");
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/alloc/allocation_table.h"
#include "core/alloc/knapsack.h"

namespace kvwb::core {

// One option for every target (of `targets`; every target when empty): the one of least summed
// damage whose summed bytes fit `budget` (ties to fewer bytes); option -1 when none fits.
struct UniformChoice {
  int option = -1;
  double bytes = 0, damage = 0;
};
UniformChoice bestUniform(const AllocationTable& table, double budget, const std::vector<std::size_t>& targets = {});

// What a reader of an allocation should know, in sentences: a kind whose damage is 0 under every
// option for some targets (attention KL of values) takes its cheapest option; then the table's
// own notes (options left out and why).
std::vector<std::string> allocationNotes(const AllocationTable& table);

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

// A sweep spec that measures `allocation` and its baselines at `budget` (allocation_contenders.h)
// as one job each: the allocation and every baseline that is not uniform as an "allocation" job
// (a method per target, labelled: `label`, "best low-rank", ...), the best uniform option as a job
// of its method. Captures, sequence lengths and targets are the table's; metrics (one set of
// quality windows for every job, so the jobs are measured alike), device and seed from the runs'
// spec. An allocation chosen by a statistic of the quality windows (kld, ln_ppl_ratio, ... per
// target) saw the runs' windows, so the spec measures on the text after them (`first`). Throws
// std::invalid_argument when a capture appears at two sequence lengths (an assignment names
// targets by capture, layer, head and kind).
nlohmann::json allocationSpec(const AllocationTable& table, const Allocation& allocation, double budget,
                              const std::string& name, const std::string& budgetText,
                              const std::string& label = "allocation");

}  // namespace kvwb::core
