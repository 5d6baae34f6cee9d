// Result rows of a project's runs as the results views use them (no Qt): each row with its run,
// and the numeric axes the table, Pareto, scatter and parallel-coordinates views choose from:
// every fit metric of core::fitMetrics() in table order, then the row's coordinates (layer, head,
// sequence length), defined once here. Plain data and functions, any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/project/project.h"
#include "core/reports/results_csv.h"

namespace kvwb::widgets {

// One result row of one run. The job aggregate (every target of a sweep job compressed at once)
// has layer = head = -1 and kind "all".
struct ResultEntry {
  std::string runId, capture, method;
  core::ResultRow row;
  bool aggregate() const { return row.layer < 0; }
};

// Every row of `runs` (read once with core::loadRunResults), in the order given.
std::vector<ResultEntry> resultEntries(const std::vector<core::RunResults>& runs);

// A numeric quantity of a result row: a fit metric or a coordinate of the row.
struct ResultAxis {
  std::string name;   // the metric's column ("cos_sim"), or "layer", "head", "seq_len"
  std::string title;  // "cosine similarity"
  std::string unit;   // "" = none
  core::Better better = core::Better::Neither;
  bool logScale = false;
  std::optional<core::FitMetric> metric;            // set for the fit metrics
  std::function<double(const ResultEntry&)> value;  // NaN when not measured

  std::string label() const;  // the title with its unit: "fit time (s)"
  bool higherIsBetter() const { return better == core::Better::Higher; }
};

// Every fit metric in table order, then layer, head and sequence length.
const std::vector<ResultAxis>& resultAxes();
const ResultAxis& resultAxis(core::FitMetric metric);
int axisIndex(std::string_view name);  // index in resultAxes(), -1 when unknown

}  // namespace kvwb::widgets
