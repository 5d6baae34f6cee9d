// The best configuration of each method family at a compression budget: among the jobs of a
// per-job results summary whose ratio is at least R (bytes at or under raw float16 / R), for each
// capture, sequence length, set of compressed kinds (K+V, K, V) and family (the method
// descriptor's: low-rank, quantization, ..., any registered one), the job best by one quality
// metric. `kvwb-cli summary --at-ratio R` prints it and the Results view's "Best per family" tab
// shows it, as the summary's table with every metric of each chosen job. No Qt; any thread.
//
//   auto summary = kvwb::core::summarizeResults(project, project.runs(), SummaryGrouping::Job);
//   auto best = kvwb::core::bestPerFamily(summary, 4.0);  // by KLD, else attn KL, else rel err
//   kvwb::core::writeFamilyBestMarkdown(best, std::cout);
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "core/reports/results_summary.h"

namespace kvwb::core {

// The metrics a job is chosen by when none is asked for, the first one measured (finite) for some
// job of the group within the budget: the model-quality KL divergence, else attention KL, else
// relative error.
std::span<const FitMetric> defaultBestBy();

// The family of a method as familyName() writes it ("low-rank"); "unregistered" for a method
// this build does not know.
std::string familyOf(const std::string& method);

struct FamilyBestRow {
  std::string family;             // "low-rank"
  std::string targets;            // the kinds the job compresses: "K+V", "K", "V", "K+V+Kpre"
  FitMetric by = FitMetric::Kld;  // the metric it was chosen by
  int candidates = 0;             // jobs of its group within the budget that measured `by`
  SummaryRow row;                 // the chosen job, every metric of it
};

struct FamilyBest {
  double atRatio = 1;
  std::optional<FitMetric> by;  // asked for; else defaultBestBy() per group
  // By capture and sequence length (in the summary's order), targets, family (registration
  // order of the families).
  std::vector<FamilyBestRow> rows;
  // Groups with jobs but none chosen: "low-rank (svd), tinystories, n=448, K+V: no job at ratio
  // >= 8 (highest 7.76)", "... : 2 jobs within the budget, none measured kld".
  std::vector<std::string> notes;
};

// A job is within the budget when its ratio (the summary row's job value) >= atRatio, up to a
// relative 1e-9 (a ratio computed as exactly R is within). Best: the lowest value of `by` (the
// highest for a metric where higher is better), ties to the higher ratio, then the earlier job.
// Jobs without a finite ratio (infeasible ones) are never chosen. Throws std::invalid_argument
// for atRatio <= 0 or a `by` that has no better direction (a standard error).
FamilyBest bestPerFamily(const ResultsSummary& summary, double atRatio,
                         std::optional<FitMetric> by = std::nullopt);

// The summary's table of the chosen jobs (summaryTable: every informative metric column), each
// row's params in full, with three columns first: family, targets, chosen by.
SummaryTable familyBestTable(const FamilyBest& best);
// "Best per family at ratio >= 4 ..." then the table as markdown, then the notes.
void writeFamilyBestMarkdown(const FamilyBest& best, std::ostream& out);
// The budget and the rule, one line: "ratio >= 4 (bytes <= raw float16 / 4), best by KLD where
// measured, else attention KL, else relative error".
std::string familyBestCaption(const FamilyBest& best);

}  // namespace kvwb::core
