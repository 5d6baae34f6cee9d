// The Allocation view's data layer (see allocation_data.h): the core allocator's table, solver
// and outputs turned into what the view draws.
#include "widgets/allocation_data.h"

#include <QLocale>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/sweep/sweep_spec.h"
#include "widgets/plots/method_style.h"
#include "widgets/plots/plot_widget.h"

namespace kvwb::widgets {
namespace {

// The per-target metrics an allocation minimises, in the order the metric chooser lists them.
constexpr const char* kMetricColumns[] = {"attn_kl",   "attn_out_err", "rel_err",
                                          "delta_ppl", "kld",          "ln_ppl_ratio"};

// How far an option's colour moves from its method's: towards white for its cheapest option,
// towards black for its richest.
constexpr double kTint = 0.5, kShade = 0.45;

QString bytesText(double bytes) {
  return QLocale(QLocale::English).toString(bytes, 'f', 0) + QStringLiteral(" B");
}

QString metricText(const core::AllocationTable& table, double value) {
  return QString::fromStdString(core::formatMetric(table.metric, value));
}

std::string captureName(const core::AllocationTarget& t) {
  return t.capture + " n=" + std::to_string(t.seqLen);
}

}  // namespace

std::vector<core::RunResults> loadAllocationRuns(const std::filesystem::path& path,
                                                 const std::vector<std::string>& names) {
  const auto project = core::Project::open(path);
  auto runs = core::loadRunResults(project, core::selectRuns(project.runs(), names, path));
  if (runs.empty())
    throw core::InputError(path, "has no runs to allocate from (run a sweep first)");
  return runs;
}

std::vector<std::string> allocationMetricColumns(const std::vector<core::RunResults>& runs) {
  std::vector<std::string> out;
  for (const char* column : kMetricColumns) {
    const core::FitMetric metric = core::allocationMetric(column);
    const bool measured = std::any_of(runs.begin(), runs.end(), [&](const core::RunResults& r) {
      return std::any_of(r.rows.begin(), r.rows.end(), [&](const core::ResultRow& row) {
        return row.layer >= 0 && std::isfinite(row[metric]);
      });
    });
    if (measured) out.emplace_back(column);
  }
  return out;
}

AllocationModel buildAllocationModel(const std::vector<core::RunResults>& runs,
                                     const std::string& column,
                                     const std::filesystem::path& project) {
  AllocationModel model;
  try {
    model.table = core::buildAllocationTable(runs, core::allocationMetric(column));
    model.solver = std::make_shared<const core::AllocationSolver>(model.table);
  } catch (const std::invalid_argument& e) {
    throw core::InputError(project, e.what());
  }
  return model;
}

AllocationPick solveAtRatio(const AllocationModel& model, double ratio) {
  AllocationPick pick;
  pick.ratio = std::clamp(ratio, model.minRatio(), model.maxRatio());
  // Rounding must not put the highest ratio's budget a byte short of the least one.
  pick.budget = std::max(model.rawBytes() / pick.ratio, model.solver->minBytes());
  pick.allocation = model.solver->solve(pick.budget);
  pick.uniform = core::bestUniform(model.table, pick.budget);
  return pick;
}

AllocationCurve allocationCurve(const AllocationModel& model, int points) {
  AllocationCurve curve;
  const double lo = std::log(model.minRatio()), hi = std::log(model.maxRatio());
  const int n = hi > lo ? std::max(points, 2) : 1;
  for (int i = 0; i < n; ++i) {
    const auto pick = solveAtRatio(model, std::exp(n == 1 ? lo : lo + (hi - lo) * i / (n - 1)));
    curve.ratios.push_back(pick.ratio);
    curve.allocationDamage.push_back(pick.allocation.damage);
    curve.uniformDamage.push_back(pick.uniform.option < 0 ? std::numeric_limits<double>::quiet_NaN()
                                                          : pick.uniform.damage);
  }
  return curve;
}

LineChart allocationChart(const AllocationModel& model, const AllocationCurve& curve,
                          double ratio) {
  const auto& metric = core::fitMetric(model.table.metric);
  LineChart chart;
  chart.title = "Predicted damage against the byte budget";
  chart.xLabel = "compression ratio (raw float16 / budget)";
  chart.yLabel = std::string("summed ") + metric.column;
  chart.logX = chart.logY = true;
  chart.series.push_back({curve.ratios, curve.allocationDamage, "allocation", 0});
  chart.series.push_back({curve.ratios, curve.uniformDamage, "best uniform", 1, true});
  char label[32];
  std::snprintf(label, sizeof label, "%.3gx", ratio);
  chart.markers.push_back({ratio, label});
  chart.emptyText = "no feasible budget";
  return chart;
}

std::vector<QColor> optionColours(const core::AllocationTable& table) {
  std::vector<double> meanBytes(table.options.size(), 0);
  for (std::size_t o = 0; o < table.options.size(); ++o)
    for (std::size_t t = 0; t < table.targets.size(); ++t) meanBytes[o] += table.bytesAt(t, o);
  std::map<std::string, std::vector<std::size_t>> byMethod;  // options of each method, by bytes
  for (std::size_t o = 0; o < table.options.size(); ++o)
    byMethod[table.options[o].method].push_back(o);
  std::vector<QColor> out(table.options.size());
  for (auto& [method, options] : byMethod) {
    std::sort(options.begin(), options.end(),
              [&](std::size_t a, std::size_t b) { return meanBytes[a] < meanBytes[b]; });
    const QColor base = PlotWidget::paletteColour(methodStyle(method).colour);
    for (std::size_t i = 0; i < options.size(); ++i) {
      // From a tint (fewest bytes) through the method's own colour to a shade (most): mixed with
      // white, then with black, which also tells the options of a black method apart.
      const double t = options.size() > 1
                           ? static_cast<double>(i) / static_cast<double>(options.size() - 1)
                           : 0.5;
      const int towards = t < 0.5 ? 255 : 0;
      const double share = t < 0.5 ? kTint * (1 - 2 * t) : kShade * (2 * t - 1);
      const auto mix = [&](int channel) {
        return static_cast<int>(std::lround(channel + (towards - channel) * share));
      };
      out[options[i]] = QColor(mix(base.red()), mix(base.green()), mix(base.blue()));
    }
  }
  return out;
}

std::vector<std::string> allocationCaptures(const core::AllocationTable& table) {
  std::vector<std::string> out;
  for (const auto& t : table.targets)
    if (std::find(out.begin(), out.end(), captureName(t)) == out.end())
      out.push_back(captureName(t));
  return out;
}

AllocationMap allocationMap(const AllocationModel& model, const core::Allocation& allocation,
                            std::size_t capture) {
  const auto& table = model.table;
  const auto captures = allocationCaptures(table);
  AllocationMap map;
  if (capture >= captures.size()) return map;
  std::vector<std::size_t> targets;
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const auto& target = table.targets[t];
    if (captureName(target) != captures[capture]) continue;
    targets.push_back(t);
    map.layers = std::max(map.layers, target.layer + 1);
    map.heads = std::max(map.heads, target.head + 1);
    if (std::none_of(map.panels.begin(), map.panels.end(),
                     [&](const AllocationPanel& p) { return p.kind == target.kind; }))
      map.panels.push_back({target.kind, {}});
  }
  std::sort(map.panels.begin(), map.panels.end(),
            [](const AllocationPanel& a, const AllocationPanel& b) { return a.kind < b.kind; });
  for (auto& panel : map.panels)
    panel.cells.resize(static_cast<std::size_t>(map.layers * map.heads));
  for (std::size_t t : targets) {
    const auto& target = table.targets[t];
    const auto option = static_cast<std::size_t>(allocation.choice[t]);
    auto panel = std::find_if(map.panels.begin(), map.panels.end(),
                              [&](const AllocationPanel& p) { return p.kind == target.kind; });
    auto& cell = panel->cells[static_cast<std::size_t>(target.layer * map.heads + target.head)];
    cell.option = static_cast<int>(option);
    cell.share = target.rawBytes > 0 ? table.bytesAt(t, option) / target.rawBytes : 0;
    cell.toolTip = QStringLiteral("%1 L%2·H%3\n%4\n%5 (%6% of raw, ratio %7x)\n%8 %9")
                       .arg(QString::fromStdString(target.kind))
                       .arg(target.layer)
                       .arg(target.head)
                       .arg(QString::fromStdString(table.options[option].name()))
                       .arg(bytesText(table.bytesAt(t, option)))
                       .arg(100 * cell.share, 0, 'f', 1)
                       .arg(cell.share > 0 ? 1 / cell.share : 0, 0, 'g', 3)
                       .arg(QString::fromUtf8(core::fitMetric(table.metric).column))
                       .arg(metricText(table, table.damageAt(t, option)));
  }
  for (std::size_t o = 0; o < table.options.size(); ++o) {
    QStringList counts;
    for (const auto& panel : map.panels) {
      const auto n =
          std::count_if(panel.cells.begin(), panel.cells.end(),
                        [&](const AllocationCell& c) { return c.option == static_cast<int>(o); });
      if (n > 0) counts << QStringLiteral("%1 %2").arg(n).arg(QString::fromStdString(panel.kind));
    }
    if (!counts.isEmpty())
      map.legend.push_back({static_cast<int>(o), QString::fromStdString(table.options[o].name()) +
                                                     QStringLiteral(": ") +
                                                     counts.join(QStringLiteral(" · "))});
  }
  return map;
}

QString allocationSummaryText(const AllocationModel& model, const AllocationPick& pick) {
  const auto& table = model.table;
  const auto& a = pick.allocation;
  const QString metric = QString::fromUtf8(core::fitMetric(table.metric).column);
  QString text =
      QStringLiteral("%1 of %2 budget (ratio %3x) · summed %4 %5 (within %6 of the optimum) · ")
          .arg(bytesText(a.bytes), bytesText(pick.budget))
          .arg(model.rawBytes() / a.bytes, 0, 'g', 3)
          .arg(metric, metricText(table, a.damage), metricText(table, a.gap));
  if (pick.uniform.option < 0) return text + QStringLiteral("no single option fits this budget");
  text += QStringLiteral("best uniform: %1, %2, %3 %4")
              .arg(QString::fromStdString(
                       table.options[static_cast<std::size_t>(pick.uniform.option)].name()),
                   bytesText(pick.uniform.bytes), metric, metricText(table, pick.uniform.damage));
  if (pick.uniform.damage > 0)
    text += QStringLiteral(" (the allocation's is %1% of it)")
                .arg(100 * a.damage / pick.uniform.damage, 0, 'g', 3);
  return text;
}

nlohmann::json allocationRunSpec(const AllocationModel& model, const AllocationPick& pick) {
  const std::string name =
      model.table.sourceSpec.value("name", std::string("allocation")) + "-alloc";
  char budgetText[32];
  std::snprintf(budgetText, sizeof budgetText, "ratio %.3g", pick.ratio);
  auto spec = core::allocationSpec(model.table, pick.allocation, pick.budget, name, budgetText);
  core::parseSweepSpec(spec, "allocation");  // a spec the sweep accepts, or an error saying why
  return spec;
}

}  // namespace kvwb::widgets
