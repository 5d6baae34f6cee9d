// The Pareto front (sort by x best first, keep each point that improves on the best y so far) and
// the results charts built on it.
#include "widgets/pareto.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/reports/results_summary.h"
#include "widgets/plots/method_style.h"

namespace kvwb::widgets {

std::vector<std::size_t> paretoFront(const std::vector<double>& x, const std::vector<double>& y,
                                     bool higherXBetter, bool higherYBetter) {
  // Lower is better on both after flipping the signs; ties in x go to the better y first.
  const auto key = [&](std::size_t i) {
    return std::pair(higherXBetter ? -x[i] : x[i], higherYBetter ? -y[i] : y[i]);
  };
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i]) && !std::isnan(y[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<std::size_t> front;
  for (std::size_t i : order)
    if (front.empty() || key(i).second < key(front.back()).second) front.push_back(i);
  std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  return front;
}

namespace {

std::string targetText(const ResultEntry& e) {
  if (e.aggregate()) return "job aggregate (all targets)";
  return "layer " + std::to_string(e.row.layer) + " head " + std::to_string(e.row.head) + " " +
         e.row.kind;
}

// Which sweep job a row belongs to: its run and the job hash its parameters carry (a target's
// parameters add per-target ones, so they differ from the aggregate's).
std::string jobKey(const ResultEntry& e) {
  const std::string job = jobOf(e);
  return e.runId + "|" + (job.empty() ? e.row.paramsJson : job);
}

// The fit a click on each job aggregate opens, by jobKey: the job's worst K or V target (lowest
// cosine similarity), which Compare can show.
std::map<std::string, const ResultEntry*> worstTargets(const std::vector<ResultEntry>& entries) {
  const auto cos = core::FitMetric::CosSim;
  std::map<std::string, const ResultEntry*> worst;
  for (const ResultEntry& t : entries) {
    if (t.aggregate() || (t.row.kind != "K" && t.row.kind != "V") || !std::isfinite(t.row[cos]))
      continue;
    const ResultEntry*& w = worst[jobKey(t)];
    if (!w || t.row[cos] < w->row[cos]) w = &t;
  }
  return worst;
}

std::string clickText(const FitRef& fit) {
  if (fit.layer < 0) return "";
  return "\nclick: compare its worst target, layer " + std::to_string(fit.layer) + " head " +
         std::to_string(fit.head) + " " + fit.kind;
}

// The standard error of a row's value on `axis` where the metric has one ("kld" -> "kld_se"):
// the error bar the charts draw. NaN where none was measured.
double standardError(const ResultEntry& e, const ResultAxis& axis) {
  const int se = axisIndex(axis.name + "_se");
  return se < 0 ? std::nan("") : resultAxes()[static_cast<std::size_t>(se)].value(e);
}

// One series per method, in first-seen order, of the rows of the chosen scope with both values.
ScatterChart pointsByMethod(const std::vector<ResultEntry>& entries, const ResultAxis& x,
                            const ResultAxis& y, bool aggregates) {
  ScatterChart chart;
  chart.xLabel = x.label();
  chart.yLabel = y.label();
  chart.logX = x.logScale;
  chart.logY = y.logScale;
  std::map<std::string, std::size_t> seriesOf;
  const auto worst = aggregates ? worstTargets(entries) : std::map<std::string, const ResultEntry*>{};
  for (const ResultEntry& e : entries) {
    if (e.aggregate() != aggregates) continue;
    const double vx = x.value(e), vy = y.value(e);
    if (std::isnan(vx) || std::isnan(vy)) continue;
    const auto [it, added] = seriesOf.emplace(e.method, chart.series.size());
    if (added) {
      const MethodStyle style = methodStyle(e.method);
      chart.series.push_back({e.method, style.colour, style.shape, {}, {}});
    }
    const auto target = e.aggregate() ? worst.find(jobKey(e)) : worst.end();
    const ResultEntry& opened = target != worst.end() ? *target->second : e;
    FitRef fit{opened.runId, opened.row.layer, opened.row.head, opened.row.kind,
               opened.row.paramsJson};
    std::string tooltip = e.method + "  " + core::paramsText(e.row.paramsJson) + "\n" +
                          targetText(e) + " · " + e.runId + (e.aggregate() ? clickText(fit) : "");
    chart.series[it->second].points.push_back({vx, vy, standardError(e, y), std::move(tooltip), std::move(fit)});
  }
  return chart;
}

}  // namespace

ScatterChart buildParetoChart(const std::vector<ResultEntry>& entries, const ResultAxis& quality,
                              const ResultAxis& x, bool aggregates) {
  ScatterChart chart = pointsByMethod(entries, x, quality, aggregates);
  chart.title = "Pareto front: " + quality.title + " vs " + x.title;
  const bool higherX = x.higherIsBetter(), higherY = quality.higherIsBetter();
  std::vector<double> allX, allY;
  std::vector<const ScatterPoint*> all;
  for (ScatterSeries& s : chart.series) {
    std::vector<double> sx, sy;
    for (const ScatterPoint& p : s.points) {
      sx.push_back(p.x);
      sy.push_back(p.y);
      all.push_back(&p);
    }
    s.front = paretoFront(sx, sy, higherX, higherY);
    allX.insert(allX.end(), sx.begin(), sx.end());
    allY.insert(allY.end(), sy.begin(), sy.end());
  }
  for (std::size_t i : paretoFront(allX, allY, higherX, higherY))
    chart.overallFront.push_back(*all[i]);
  chart.note = std::string(aggregates ? "job aggregates" : "per-target fits") +
               "; better: " + (higherX ? "right" : "left") + ", " + (higherY ? "up" : "down") +
               "; solid lines: each method's front, dashed: overall";
  return chart;
}

ScatterChart buildScatterChart(const std::vector<ResultEntry>& entries, const ResultAxis& x,
                               const ResultAxis& y, bool aggregates) {
  ScatterChart chart = pointsByMethod(entries, x, y, aggregates);
  chart.title = y.title + " vs " + x.title;
  chart.note = aggregates ? "job aggregates" : "per-target fits";
  return chart;
}

}  // namespace kvwb::widgets
