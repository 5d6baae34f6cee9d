// Parallel-coordinates chart of sweep results.
#include "widgets/parallel_coordinates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace kvwb::widgets {

const std::vector<Metric>& parallelAxes() {
  static const std::vector<Metric> axes = {Metric::Ratio,      Metric::CosSim, Metric::RelErr,
                                           Metric::AttnOutErr, Metric::AttnKl, Metric::DeltaPpl,
                                           Metric::FitSeconds};
  return axes;
}

LineChart buildParallelChart(const std::vector<ResultEntry>& entries, bool aggregates) {
  const auto& axes = parallelAxes();
  auto value = [&](const ResultEntry& e, Metric m) {
    const double v = metricValue(e, m);
    if (!logScale(m) && m != Metric::FitSeconds) return v;
    return v > 0 ? std::log10(v) : std::numeric_limits<double>::quiet_NaN();
  };
  std::vector<const ResultEntry*> rows;
  for (const auto& e : entries)
    if (e.aggregate() == aggregates) rows.push_back(&e);
  std::vector<double> lo(axes.size(), std::numeric_limits<double>::infinity());
  std::vector<double> hi(axes.size(), -std::numeric_limits<double>::infinity());
  for (const auto* e : rows)
    for (std::size_t a = 0; a < axes.size(); ++a)
      if (const double v = value(*e, axes[a]); std::isfinite(v)) lo[a] = std::min(lo[a], v), hi[a] = std::max(hi[a], v);

  LineChart chart;
  chart.title = "Parallel coordinates";
  chart.xLabel = "axis";
  chart.yLabel = "scaled to min–max of the shown rows";
  chart.integerX = true;
  chart.note = "axes: 0 ratio (log) · 1 cosine · 2 rel. error · 3 attn. error · 4 attn. KL · "
               "5 Δ perplexity · 6 fit time (log)";
  std::map<std::string, int> colours;  // first-seen order, as the Pareto chart colours methods
  for (const auto* e : rows) {
    const auto [it, first] = colours.emplace(e->method, static_cast<int>(colours.size()));
    Series s;
    s.label = e->method;
    s.colour = it->second;
    s.inLegend = first;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const double v = value(*e, axes[a]);
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
