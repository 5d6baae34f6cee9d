// Result rows of a project's runs as the results views use them (no Qt): each row with its run,
// the numeric columns ("metrics") the table, Pareto and scatter plots choose from, and a short
// parameter text. Plain functions; loadResults reads the project, call it from one thread.
#pragma once

#include <string>
#include <vector>

#include "core/project.h"

namespace kvwb::widgets {

// One result row of one run. The job aggregate (every target of a sweep job compressed at once)
// has layer = head = -1 and kind "all".
struct ResultEntry {
  std::string runId, capture, method;
  core::ResultRow row;
  bool aggregate() const { return row.layer < 0; }
};

// Every row of the runs named in `runIds` that the project has, in the order given.
std::vector<ResultEntry> loadResults(const core::Project& project,
                                     const std::vector<std::string>& runIds);

enum class Metric {
  Bytes, Ratio, CosSim, RelErr, AttnOutErr, AttnKl, DeltaPpl, FitSeconds, Layer, Head, SeqLen
};
inline constexpr int kMetricCount = 11;

double metricValue(const ResultEntry& entry, Metric metric);  // NaN when not measured
const char* metricTitle(Metric metric);                        // "cosine similarity"
bool higherIsBetter(Metric metric);  // cosine, ratio; every error, bytes and time: lower
bool logScale(Metric metric);        // bytes and ratio span decades

}  // namespace kvwb::widgets
