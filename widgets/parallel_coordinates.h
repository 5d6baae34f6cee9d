// Parallel coordinates of sweep results: every fit (or job aggregate) as a line across the
// quality and cost axes (ratio, cosine, rel. error, attention error, attention KL, Δ perplexity,
// fit time), each axis scaled to its min–max over the shown rows (ratio and time on log scales),
// one colour per method. No Qt; any thread.
#pragma once

#include <vector>

#include "widgets/plots/plot_data.h"
#include "widgets/results_data.h"

namespace kvwb::widgets {

// The axes, left to right (the chart's note names them in this order).
const std::vector<Metric>& parallelAxes();
LineChart buildParallelChart(const std::vector<ResultEntry>& entries, bool aggregates);

}  // namespace kvwb::widgets
