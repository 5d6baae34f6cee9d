// Parallel-coordinates chart of sweep results.
#include "widgets/parallel_coordinates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "widgets/plots/method_style.h"

namespace kvwb::widgets {
namespace {

// The value on the axis of `metric` before scaling: log10 on log-scaled axes.
double axisValue(const ResultEntry& e, core::FitMetric metric) {
  const double v = e.row[metric];
  if (!core::fitMetric(metric).logScale) return v;
  return v > 0 ? std::log10(v) : std::numeric_limits<double>::quiet_NaN();
}

// A long metric title on two lines (at the space nearest its middle), so the axis names fit.
std::string wrapTitle(std::string title) {
  if (title.size() <= 12) return title;
  std::size_t best = std::string::npos;
  for (std::size_t i = 0; i < title.size(); ++i)
    if (title[i] == ' ' && (best == std::string::npos ||
                            std::abs(static_cast<double>(i) - title.size() / 2.0) <
                                std::abs(static_cast<double>(best) - title.size() / 2.0)))
      best = i;
  if (best != std::string::npos) title[best] = '\n';
  return title;
}

std::vector<const ResultEntry*> inScope(const std::vector<ResultEntry>& entries, bool aggregates) {
  std::vector<const ResultEntry*> rows;
  for (const auto& e : entries)
    if (e.aggregate() == aggregates) rows.push_back(&e);
  return rows;
}

}  // namespace

std::vector<core::FitMetric> parallelAxes(const std::vector<ResultEntry>& entries,
                                          bool aggregates) {
  const auto rows = inScope(entries, aggregates);
  std::vector<core::FitMetric> axes;
  for (const auto& m : core::fitMetrics())
    if (std::any_of(rows.begin(), rows.end(),
                    [&](const ResultEntry* e) { return std::isfinite(axisValue(*e, m.id)); }))
      axes.push_back(m.id);
  return axes;
}

LineChart buildParallelChart(const std::vector<ResultEntry>& entries, bool aggregates) {
  const auto axes = parallelAxes(entries, aggregates);
  const auto rows = inScope(entries, aggregates);
  std::vector<double> lo(axes.size(), std::numeric_limits<double>::infinity());
  std::vector<double> hi(axes.size(), -std::numeric_limits<double>::infinity());
  for (const auto* e : rows)
    for (std::size_t a = 0; a < axes.size(); ++a)
      if (const double v = axisValue(*e, axes[a]); std::isfinite(v))
        lo[a] = std::min(lo[a], v), hi[a] = std::max(hi[a], v);

  LineChart chart;
  chart.title = "Parallel coordinates";
  chart.yLabel = "scaled to min–max of the shown rows";
  chart.emptyText = "no results yet";
  chart.note = "one line per row; (log): log scale";
  for (const core::FitMetric axis : axes) {
    const auto& m = core::fitMetric(axis);
    chart.xTickLabels.push_back(wrapTitle(m.title) + (m.logScale ? " (log)" : ""));
  }
  std::set<std::string> methods;  // the first row of each method stands in the legend
  for (const auto* e : rows) {
    Series s;
    s.label = e->method;
    s.colour = methodStyle(e->method).colour;
    s.inLegend = methods.insert(e->method).second;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const double v = axisValue(*e, axes[a]);
      s.x.push_back(static_cast<double>(a));
      s.y.push_back(!std::isfinite(v) ? std::numeric_limits<double>::quiet_NaN()
                    : hi[a] > lo[a]   ? (v - lo[a]) / (hi[a] - lo[a])
                                      : 0.5);
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

}  // namespace kvwb::widgets
