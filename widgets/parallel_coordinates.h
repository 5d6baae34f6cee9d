// Parallel coordinates of sweep results: every fit (or job aggregate) as a line across one axis
// per fit metric (core::fitMetrics() order) that some shown row measured, each axis scaled to its
// min–max over the shown rows (log scale where the metric's table row says so), the axes named
// by their x ticks, each method in its methodStyle colour. No Qt; any thread.
#pragma once

#include <vector>

#include "widgets/plots/plot_data.h"
#include "widgets/results_data.h"

namespace kvwb::widgets {

// The axes, left to right (the chart's xTickLabels name them in this order): the fit metrics with a
// finite value in some row of the scope.
std::vector<core::FitMetric> parallelAxes(const std::vector<ResultEntry>& entries, bool aggregates);
LineChart buildParallelChart(const std::vector<ResultEntry>& entries, bool aggregates);

}  // namespace kvwb::widgets
