// What the Allocation view (allocation_view.h) computes, apart from widgets: a sweep's option table
// and its knapsack solver for one metric, the allocation at a compression ratio beside the best
// uniform option, the quality-vs-budget curve, the layer x head map of the chosen options, their
// colours, the summary line and the sweep spec that runs the allocation (docs/ALLOCATION.md).
// Torch-free, Qt value types only; any thread.
#pragma once

#include <QColor>
#include <QString>
#include <QStringList>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/alloc/allocation_output.h"
#include "core/alloc/allocation_solver.h"
#include "core/alloc/allocation_table.h"
#include "core/reports/results_csv.h"
#include "widgets/plots/plot_data.h"

namespace kvwb::widgets {

// The results of the runs `names` stand for (run ids or sweep names) in the project at `path`.
// Throws core::InputError naming the project when it has no such runs.
std::vector<core::RunResults> loadAllocationRuns(const std::filesystem::path& path,
                                                 const std::vector<std::string>& names);

// The metrics an allocation of `runs` can minimise and some target row measured, of attn_kl,
// attn_out_err, rel_err, delta_ppl, kld and ln_ppl_ratio in that order.
std::vector<std::string> allocationMetricColumns(const std::vector<core::RunResults>& runs);

// A sweep's option table by one metric with its solver (built once; solving is cheap).
struct AllocationModel {
  core::AllocationTable table;
  std::shared_ptr<const core::AllocationSolver> solver;

  double rawBytes() const { return table.rawBytes(); }
  // The feasible ratios: every target at its least-damage option (more bytes change nothing) and
  // every target at its cheapest one.
  double minRatio() const { return rawBytes() / solver->maxUsefulBytes(); }
  double maxRatio() const { return rawBytes() / solver->minBytes(); }
};
// Throws core::InputError naming `project` when no target row of `runs` measured `column`, no
// option was measured on every target, or a head whose keys and values evict has no pair of equal
// token selection (allocation_solver.h).
AllocationModel buildAllocationModel(const std::vector<core::RunResults>& runs,
                                     const std::string& column,
                                     const std::filesystem::path& project);

// The allocation at compression ratio `ratio` (clamped to the feasible range: budget = raw bytes
// / ratio, never below the least budget) and the best uniform option within the same budget.
struct AllocationPick {
  double ratio = 0, budget = 0;
  core::Allocation allocation;  // allocation.choice[t]: the option column of target t
  core::UniformChoice uniform;  // option -1 when no single option fits
};
AllocationPick solveAtRatio(const AllocationModel& model, double ratio);

// The summed damage of the allocation and of the best uniform option (NaN where none fits) at
// `points` ratios spaced log-uniformly over the feasible range.
struct AllocationCurve {
  std::vector<double> ratios, allocationDamage, uniformDamage;
};
AllocationCurve allocationCurve(const AllocationModel& model, int points = 40);
// The curve as a chart: x the compression ratio, y the summed damage (log), a marker at `ratio`.
LineChart allocationChart(const AllocationModel& model, const AllocationCurve& curve, double ratio);

// Per option, its colour: its method's (method_style.h), from a light tint for the method's
// cheapest option to a dark shade for its richest, so "svd rank=1" and "svd rank=4" are both blue
// and tell apart.
std::vector<QColor> optionColours(const core::AllocationTable& table);

// The (capture, sequence length) pairs of the table's targets, in target order, as "tinystories
// n=448".
std::vector<std::string> allocationCaptures(const core::AllocationTable& table);

// One kind's layer x head grid of an allocation for one capture: per cell the chosen option
// (-1: no target there), its bytes relative to the raw float16 cache and a tooltip.
struct AllocationCell {
  int option = -1;
  double share = 0;
  QString toolTip;
};
struct AllocationPanel {
  std::string kind;                   // "K", "V"
  std::vector<AllocationCell> cells;  // row-major [layer][head]
};
// An option shown in the map's legend: "svd rank=1: 12 K · 8 V".
struct AllocationLegendEntry {
  int option = 0;
  QString text;
};
struct AllocationMap {
  int layers = 0, heads = 0;
  std::vector<AllocationPanel> panels;        // K, then V (the kinds the capture's targets have)
  std::vector<AllocationLegendEntry> legend;  // the options chosen here, in the table's order
};
AllocationMap allocationMap(const AllocationModel& model, const core::Allocation& allocation,
                            std::size_t capture);

// "70,888 of 71,680 B budget (ratio 4.05x) · attention KL 1.87 (gap 0.15) · best uniform: fourier
// coeffs=32 20.6" (plain text).
QString allocationSummaryText(const AllocationModel& model, const AllocationPick& pick);

// The sweep spec "<sweep>-alloc" that measures `pick` as one job beside its baselines at the same
// budget (core::allocationSpec), checked by core::parseSweepSpec. Throws std::exception naming
// what is wrong.
nlohmann::json allocationRunSpec(const AllocationModel& model, const AllocationPick& pick);

}  // namespace kvwb::widgets
