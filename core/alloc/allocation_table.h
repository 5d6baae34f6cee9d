// The option table of a byte-budget allocation (issue 18): from a project's sweep results, one row
// per target (capture, sequence length, layer, head, kind), one column per option (a method with
// one job's parameters), and in each cell the fit's bytes and its predicted damage by one fit
// metric. An allocation picks one option per target, so an option must have been measured on every
// target: the others are dropped and said so. No torch, no Qt; plain data, any thread.
//
//   const auto runs = kvwb::core::loadRunResults(project, selectRuns(project.runs(), {"demo"}, path));
//   const auto table = kvwb::core::buildAllocationTable(runs, FitMetric::AttnKl);
//   const AllocationSolver solver(table);  // allocation_solver.h
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/alloc/knapsack.h"
#include "core/project/fit_metric_table.h"
#include "core/reports/results_csv.h"

namespace kvwb::core {

struct AllocationTarget {
  std::string capture;
  int seqLen = 0, layer = 0, head = 0;
  std::string kind;     // "K", "V"
  double rawBytes = 0;  // its raw float16 cache: 2 T D (a row's bytes x ratio)
  std::string name() const;  // "tinystories n=448 L2 H1 K"
};

struct AllocationOption {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // the job's parameters as the spec gave them
  std::string paramsText;                            // "rank=2"
  nlohmann::json quality;  // the spec's per-method "quality" for this method (null: none given)
  // Which tokens it keeps: "" for every token; for token eviction its rule and the effective
  // parameters that choose the tokens (budget, sinks, window, ...; not `then`, storage or the size
  // request). A head's keys and values must keep the same tokens (allocation_solver.h).
  std::string selection;
  std::string name() const;  // "svd rank=2"
};

struct AllocationTable {
  FitMetric metric = FitMetric::AttnKl;
  std::vector<AllocationTarget> targets;  // captures, lengths, layers, heads, kinds in order
  std::vector<AllocationOption> options;  // in the order the runs list them
  // Per target and option: bytes and damage, at [target * options.size() + option].
  std::vector<double> bytes, damage;
  // What was left out and why: options not measured on every target, infeasible jobs, methods
  // outside the families asked for.
  std::vector<std::string> notes;
  nlohmann::json sourceSpec = nlohmann::json::object();  // the first run's sweep spec

  double bytesAt(std::size_t target, std::size_t option) const { return bytes[target * options.size() + option]; }
  double damageAt(std::size_t target, std::size_t option) const { return damage[target * options.size() + option]; }
  double rawBytes() const;  // of every target
};

// The metric named `column` (fit_metric_table.h), when an allocation can minimise it: a per-target
// fit metric where lower is better, bytes aside (attn_kl, attn_out_err, rel_err; per-target
// delta_ppl, kld, ln_ppl_ratio where measured). Throws std::invalid_argument listing them.
FitMetric allocationMetric(const std::string& column);

// The runs `names` stand for, each a run id or a sweep name (its runs "<name>.<capture>.<method>"),
// in project order; every run when `names` is empty. Throws InputError naming `project`, the
// unknown name and the runs there are.
std::vector<RunInfo> selectRuns(const std::vector<RunInfo>& runs, const std::vector<std::string>& names,
                                const std::filesystem::path& project);

// The table of `runs` by `metric`. Aggregate rows (layer < 0) are not targets; they give the job's
// parameters as its spec requested them (a job's targets may run with different effective ones:
// KIVI's keys per channel, values per token). `keepMethod` (when set) leaves other methods out.
// Throws std::invalid_argument when no target row measured `metric`, or no option was measured on
// every target.
AllocationTable buildAllocationTable(const std::vector<RunResults>& runs, FitMetric metric,
                                     const std::function<bool(const std::string& method)>& keepMethod = {});

}  // namespace kvwb::core
