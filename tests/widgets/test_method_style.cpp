// One palette and marker set per method: for every registered method (core::methodDescriptors()),
// the results view's Pareto plot (GUI) and the figure set's Pareto figure (export) draw its points
// in the same colour and marker shape, and no two methods share both.
#include <QTest>
#include <map>
#include <set>
#include <utility>

#include "core/compress/method_descriptor.h"
#include "widgets/figure_set.h"
#include "widgets/pareto.h"
#include "widgets/plots/line_plot.h"
#include "widgets/plots/method_style.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/plots/scatter_plot.h"

using kvwb::core::FitMetric;
using kvwb::widgets::ResultEntry;

namespace {

// How a plot drew one method: its points' colour and marker shape.
using Drawn = std::pair<QRgb, int>;

// Two job aggregates of every registered method.
std::vector<ResultEntry> everyMethod() {
  std::vector<ResultEntry> entries;
  double ratio = 2;
  for (const auto* method : kvwb::core::methodDescriptors())
    for (const double cos : {0.9, 0.95}) {
      ResultEntry e{"s.cap." + method->name, "cap", method->name, {}};
      e.row.layer = e.row.head = -1;
      e.row.kind = "all";
      e.row[FitMetric::Ratio] = ratio++;
      e.row[FitMetric::CosSim] = cos;
      entries.push_back(std::move(e));
    }
  return entries;
}

// Every named plottable of `plot` with a scatter style, by name; a name drawn twice (a method's
// points and its front) must be drawn alike.
template <typename Plottable>
std::map<std::string, Drawn> drawnStyles(QCustomPlot* plot) {
  std::map<std::string, Drawn> drawn;
  for (int i = 0; i < plot->plottableCount(); ++i) {
    auto* p = qobject_cast<Plottable*>(plot->plottable(i));
    if (!p || p->name().isEmpty()) continue;
    const QCPScatterStyle style = p->scatterStyle();
    const Drawn d{style.pen().color().rgb(), static_cast<int>(style.shape())};
    const auto [it, added] = drawn.emplace(p->name().toStdString(), d);
    if (!added && it->second != d) qWarning("%s drawn in two styles", qPrintable(p->name()));
    if (!added && it->second != d) return {};
  }
  return drawn;
}

}  // namespace

class TestMethodStyle : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void guiAndExportAgree() {
    const auto entries = everyMethod();
    kvwb::widgets::ScatterPlot gui;
    gui.setChart(kvwb::widgets::buildParetoChart(entries,
                                                 kvwb::widgets::resultAxis(FitMetric::CosSim),
                                                 kvwb::widgets::resultAxis(FitMetric::Ratio), true));
    kvwb::widgets::LinePlot exported;  // as exportFigureSet draws pareto.pdf
    exported.setChart(kvwb::widgets::paretoFigure(entries));
    const auto guiStyles = drawnStyles<QCPCurve>(gui.canvas());
    const auto exportStyles = drawnStyles<QCPGraph>(exported.canvas());

    std::set<Drawn> distinct;
    for (const auto* method : kvwb::core::methodDescriptors()) {
      const std::string& name = method->name;
      QVERIFY2(guiStyles.count(name) && exportStyles.count(name), name.c_str());
      const Drawn inGui = guiStyles.at(name), inExport = exportStyles.at(name);
      QVERIFY2(inGui == inExport, name.c_str());
      const auto style = kvwb::widgets::methodStyle(name);
      QCOMPARE(inGui.first, kvwb::widgets::PlotWidget::paletteColour(style.colour).rgb());
      QVERIFY2(distinct.insert(inGui).second, (name + " looks like another method").c_str());
    }
  }
};

QTEST_MAIN(TestMethodStyle)
#include "test_method_style.moc"
