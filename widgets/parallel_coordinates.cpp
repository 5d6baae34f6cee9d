// Parallel-coordinates chart of sweep results.
#include "widgets/parallel_coordinates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace kvwb::widgets {
namespace {

// The value on the axis of `metric` before scaling: log10 on log-scaled axes.
double axisValue(const ResultEntry& e, core::FitMetric metric) {
  const double v = e.row[metric];
  if (!core::fitMetric(metric).logScale) return v;
  return v > 0 ? std::log10(v) : std::numeric_limits<double>::quiet_NaN();
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
  chart.xLabel = "axis";
  chart.yLabel = "scaled to min–max of the shown rows";
  chart.integerX = true;
  chart.note = "axes:";
  for (std::size_t a = 0; a < axes.size(); ++a) {
    const auto& m = core::fitMetric(axes[a]);
    chart.note +=
        (a ? " · " : " ") + std::to_string(a) + " " + m.title + (m.logScale ? " (log)" : "");
  }
  std::map<std::string, int> colours;  // first-seen order, as the Pareto chart colours methods
  for (const auto* e : rows) {
    const auto [it, first] = colours.emplace(e->method, static_cast<int>(colours.size()));
    Series s;
    s.label = e->method;
    s.colour = it->second;
    s.inLegend = first;
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
