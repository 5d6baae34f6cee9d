// Sweep results summarised per job, the form of the seed's tables: one row per job (method,
// parameters, sequence length; optionally per layer) with each fit metric's mean over the job's
// targets per kind (K, V, Kpre), the job's all-targets-compressed Δ perplexity, and its fit and
// decode times. Every fit metric (fit_metric_table.h) is summarised; how each is shown (per kind
// or once per job, short header, format) is the summary's one per-metric rule list, and a metric
// it does not list is shown per kind. `kvwb-cli summary` prints it; no torch, no Qt, any thread.
//
//   auto summary = kvwb::core::summarizeResults(project, project.runs(), SummaryGrouping::Job);
//   kvwb::core::writeSummaryMarkdown(summary, std::cout);
#pragma once

#include <array>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/reports/results_csv.h"

namespace kvwb::core {

// "rank=2 · n=448": a fit's parameters, the job hash and the keys in `omit` left out.
std::string paramsText(const std::string& paramsJson, const std::vector<std::string>& omit = {});

// Means over the targets of one kind in one summary row; NaN where no target measured it.
struct KindMeans {
  int targets = 0;
  MetricValues means;
};

struct SummaryRow {
  std::string run, job, capture, method;  // job: the sweep's job key (rows' params["job"])
  std::string paramsJson = "{}";  // the job's parameters (bookkeeping keys left out)
  std::string params;  // those that tell this method's rows apart (see ResultsSummary), as text
  int seqLen = 0;                          // 0 = not recorded
  int layer = -1;                          // -1 = every layer of the job
  std::map<std::string, KindMeans> kinds;  // "K", "V", "Kpre"
  // The job's own value of each metric, by the metric's summary rule: ratio and Δ perplexity
  // from the aggregate row (every target of the job compressed at once; ratio else the targets'
  // mean), fit time summed over the targets, decode time their mean.
  MetricValues jobValues;
  std::string device, note;           // note: why a job did not run (infeasible parameters)
};

struct ResultsSummary {
  std::vector<SummaryRow> rows;
  // Per method, the parameters every one of its rows shares (left out of the rows' params).
  std::map<std::string, std::string> commonParams;
};

// Job: one row per (run, job). JobAndLayer: one row per (run, job, layer), plus the job's
// all-targets row (layer -1) with its ratio and Δ perplexity.
enum class SummaryGrouping { Job, JobAndLayer };

// Rows in run order, jobs in the order they were committed.
ResultsSummary summarizeResults(const std::vector<RunResults>& runs, SummaryGrouping grouping);
ResultsSummary summarizeResults(const Project& project, const std::vector<RunInfo>& runs,
                                SummaryGrouping grouping);

// The summary as the markdown writer and the GUI show it: text columns (capture, method, params,
// tokens, layer when per layer), the metric columns where some row has a finite, non-zero value
// (so V's attention KL, 0 by definition, and unmeasured metrics stay out), a note column when a
// job has one. Each cell has its text and, in metric columns, its value (NaN when empty).
struct SummaryCell {
  std::string text;
  double value = kNotMeasured;
};
struct SummaryTable {
  std::vector<std::string> headers;
  std::vector<bool> numeric;  // per column: right-aligned, sorted by value
  std::vector<std::vector<SummaryCell>> rows;
};
SummaryTable summaryTable(const ResultsSummary& summary);

// A table as GitHub markdown (numeric columns right-aligned).
void writeTableMarkdown(const SummaryTable& table, std::ostream& out);
// summaryTable as a GitHub-markdown table; the common parameters are listed under it.
void writeSummaryMarkdown(const ResultsSummary& summary, std::ostream& out);
// Every column as CSV (empty where not measured), with paramsJson as the parameters.
void writeSummaryCsv(const ResultsSummary& summary, std::ostream& out);

}  // namespace kvwb::core
