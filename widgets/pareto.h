// Pareto fronts of compression results (no Qt): the front of a point set, and the charts the
// results view draws from ResultEntry rows (one fit metric against another, each in its better
// direction, one series per method, fronts per method and overall; or any two result axes as a
// plain scatter). Pure functions, any thread.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "widgets/plots/plot_data.h"
#include "widgets/results_data.h"

namespace kvwb::widgets {

// Indices of the points no other point dominates (at least as good on both axes, better on one),
// ordered by x ascending. NaN points are never on the front; of exact duplicates the first counts.
std::vector<std::size_t> paretoFront(const std::vector<double>& x, const std::vector<double>& y,
                                     bool higherXBetter, bool higherYBetter);

// The fit a plotted point stands for (what a click on it reports): its own row, or for a job
// aggregate the job's worst K or V target.
struct FitRef {
  std::string runId;
  int layer = 0, head = 0;
  std::string kind, paramsJson;
};

struct ScatterPoint {
  double x = 0, y = 0;
  double yError = std::numeric_limits<double>::quiet_NaN();  // ± one standard error; NaN: none
  std::string tooltip;  // method, target and parameters
  FitRef fit;
};

struct ScatterSeries {
  std::string label;
  int colour = 0;                  // Okabe-Ito palette index
  MarkerShape shape = MarkerShape::Disc;
  std::vector<ScatterPoint> points;
  std::vector<std::size_t> front;  // indices into points, x ascending; empty: none drawn
};

struct ScatterChart {
  std::string title, xLabel, yLabel, note;
  bool logX = false, logY = false;
  std::vector<ScatterSeries> series;
  std::vector<ScatterPoint> overallFront;  // x ascending; empty: none drawn
};

// `quality` against `x` (fit metrics, e.g. cosine similarity against compression ratio), fronts
// by each metric's better direction, one series per method (first-seen order, each in its
// methodStyle), per-target rows or job aggregates only.
ScatterChart buildParetoChart(const std::vector<ResultEntry>& entries, const ResultAxis& quality,
                              const ResultAxis& x, bool aggregates);
// Any two axes, one series per method, no fronts.
ScatterChart buildScatterChart(const std::vector<ResultEntry>& entries, const ResultAxis& x,
                               const ResultAxis& y, bool aggregates);

}  // namespace kvwb::widgets
