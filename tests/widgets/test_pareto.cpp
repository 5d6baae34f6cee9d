// The Pareto front on hand-made points (dominance in every direction, ties, duplicates, NaN), the
// result axes (the fit metric table, then the row coordinates), and the charts built from result
// rows (series per method, per-method and overall fronts, parallel-coordinate axes).
#include <QTest>
#include <cmath>

#include "widgets/parallel_coordinates.h"
#include "widgets/pareto.h"

using kvwb::core::FitMetric;
using kvwb::widgets::axisIndex;
using kvwb::widgets::buildParetoChart;
using kvwb::widgets::paretoFront;
using kvwb::widgets::resultAxis;
using kvwb::widgets::ResultEntry;
using Indices = std::vector<std::size_t>;

namespace {

ResultEntry entry(const std::string& method, int layer, double ratio, double cos) {
  ResultEntry e{"s.cap." + method, "cap", method, {}};
  e.row.layer = e.row.head = layer;
  e.row.kind = layer < 0 ? "all" : "K";
  e.row[FitMetric::Ratio] = ratio;
  e.row[FitMetric::CosSim] = cos;
  e.row[FitMetric::RelErr] = 1 - cos;
  return e;
}

}  // namespace

class TestPareto : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void parallelCoordinatesScaleEachAxis() {
    const std::vector<ResultEntry> rows = {entry("svd", -1, 2, 0.9), entry("svd", -1, 8, 0.5),
                                           entry("quant", -1, 4, 0.7), entry("svd", 0, 9, 0.1)};
    const auto chart = kvwb::widgets::buildParallelChart(rows, /*aggregates=*/true);
    QCOMPARE(chart.series.size(), std::size_t{3});  // the per-target row is not shown
    // One axis per fit metric some shown row measured, in table order.
    const auto axes = kvwb::widgets::parallelAxes(rows, true);
    QVERIFY(axes ==
            (std::vector<FitMetric>{FitMetric::Ratio, FitMetric::CosSim, FitMetric::RelErr}));
    QCOMPARE(chart.series[0].y.size(), axes.size());
    // The axes carry their names.
    QCOMPARE(chart.xTickLabels.size(), axes.size());
    for (std::size_t a = 0; a < axes.size(); ++a) {
      QString label = QString::fromStdString(chart.xTickLabels[a]);
      label.replace(QLatin1Char('\n'), QLatin1Char(' '));
      QVERIFY2(label.startsWith(QString::fromStdString(kvwb::core::fitMetric(axes[a]).title)),
               qPrintable(label));
    }
    const auto ratioAxis =
        std::size_t(std::find(axes.begin(), axes.end(), FitMetric::Ratio) - axes.begin());
    const auto cosAxis =
        std::size_t(std::find(axes.begin(), axes.end(), FitMetric::CosSim) - axes.begin());
    QCOMPARE(chart.series[0].y[ratioAxis], 0.0);  // ratio 2: the minimum (log scale)
    QCOMPARE(chart.series[1].y[ratioAxis], 1.0);  // ratio 8: the maximum
    QCOMPARE(chart.series[2].y[ratioAxis], 0.5);  // ratio 4: halfway on log2..log8
    QCOMPARE(chart.series[0].y[cosAxis], 1.0);
    QCOMPARE(chart.series[2].y[cosAxis], 0.5);
    QVERIFY(chart.series[0].inLegend && !chart.series[1].inLegend && chart.series[2].inLegend);
    QCOMPARE(chart.series[1].colour, chart.series[0].colour);
  }

  void axesAreTheMetricTableThenCoordinates() {
    const auto& axes = kvwb::widgets::resultAxes();
    const auto metrics = kvwb::core::fitMetrics();
    QCOMPARE(axes.size(), metrics.size() + 3);
    ResultEntry e{"r", "cap", "svd", {}};
    e.row.layer = 3;
    e.row.head = 1;
    e.row.paramsJson = R"({"rank": 2, "seq_len": 448})";
    double v = 1;
    for (const auto& m : metrics) e.row[m.id] = v++;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      QCOMPARE(axes[i].name, std::string(metrics[i].column));
      QCOMPARE(axes[i].title, std::string(metrics[i].title));
      QVERIFY(axes[i].metric == metrics[i].id);
      QCOMPARE(axes[i].higherIsBetter(), metrics[i].better == kvwb::core::Better::Higher);
      QCOMPARE(axes[i].logScale, metrics[i].logScale);
      QCOMPARE(axes[i].value(e), e.row[metrics[i].id]);
      QCOMPARE(axisIndex(metrics[i].column), int(i));
      QCOMPARE(&resultAxis(metrics[i].id), &axes[i]);
    }
    QCOMPARE(axes[std::size_t(axisIndex("layer"))].value(e), 3.0);
    QCOMPARE(axes[std::size_t(axisIndex("head"))].value(e), 1.0);
    QCOMPARE(axes[std::size_t(axisIndex("seq_len"))].value(e), 448.0);
    QVERIFY(!axes[std::size_t(axisIndex("seq_len"))].metric);
    QCOMPARE(axisIndex("no such axis"), -1);
  }

  void frontHigherBetterBoth() {
    //            0    1    2    3    4
    const std::vector<double> x = {1, 2, 3, 2.5, 4}, y = {0.9, 0.95, 0.8, 0.7, 0.5};
    // 3 is dominated by 2 (3 >= 2.5 and 0.8 >= 0.7), 0 by 1 (2 >= 1 and 0.95 >= 0.9).
    QCOMPARE(paretoFront(x, y, true, true), (Indices{1, 2, 4}));
  }
  void frontLowerBetterY() {
    const std::vector<double> x = {1, 2, 3, 4}, y = {0.1, 0.3, 0.2, 0.5};
    // higher x better, lower y better: 1 is dominated by 2 (3 > 2, 0.2 < 0.3).
    QCOMPARE(paretoFront(x, y, true, false), (Indices{0, 2, 3}));
  }
  void frontLowerBetterX() {
    const std::vector<double> bytes = {100, 200, 300}, err = {0.5, 0.6, 0.1};
    QCOMPARE(paretoFront(bytes, err, false, false), (Indices{0, 2}));
  }
  void tiesAndDuplicatesAndNan() {
    const std::vector<double> x = {2, 2, 2, 3, NAN, 3}, y = {0.5, 0.7, 0.7, 0.6, 0.99, NAN};
    // Same x: only the best y counts, the first of a duplicate pair; NaN points never count.
    QCOMPARE(paretoFront(x, y, true, true), (Indices{1, 3}));
    QVERIFY(paretoFront({}, {}, true, true).empty());
  }
  void chartPerMethodAndOverall() {
    const std::vector<ResultEntry> rows = {
        entry("svd", -1, 2, 0.99), entry("svd", -1, 4, 0.90), entry("svd", -1, 3, 0.85),
        entry("quant", -1, 4, 0.97), entry("quant", -1, 8, 0.80), entry("svd", 0, 9, 0.1)};
    const auto chart =
        buildParetoChart(rows, resultAxis(FitMetric::CosSim), resultAxis(FitMetric::Ratio), true);
    QCOMPARE(chart.series.size(), std::size_t{2});
    QCOMPARE(chart.series[0].label, std::string("svd"));
    QCOMPARE(chart.series[0].points.size(), std::size_t{3});  // the per-target row left out
    QCOMPARE(chart.series[0].front, (Indices{0, 1}));           // ratio 3 at 0.85 is dominated
    QCOMPARE(chart.series[1].front, (Indices{0, 1}));
    QVERIFY(chart.logX);
    std::vector<double> overall;
    for (const auto& p : chart.overallFront) overall.push_back(p.x);
    QCOMPARE(overall, (std::vector<double>{2, 4, 8}));  // svd 2x, quant 4x (beats svd 4x), quant 8x
    QCOMPARE(chart.overallFront[1].fit.runId, std::string("s.cap.quant"));
    QCOMPARE(chart.yLabel, std::string(kvwb::core::fitMetric(FitMetric::CosSim).title));
    const auto perTarget =
        buildParetoChart(rows, resultAxis(FitMetric::RelErr), resultAxis(FitMetric::Ratio), false);
    QCOMPARE(perTarget.series.size(), std::size_t{1});
    QCOMPARE(perTarget.series[0].points.front().fit.layer, 0);
  }

  // A metric measured with a standard error (model quality) carries it to its points as the
  // error bar; one without (cosine) has none.
  void pointsCarryStandardErrors() {
    auto measured = entry("svd", -1, 2, 0.9), unmeasured = entry("svd", -1, 4, 0.8);
    measured.row[FitMetric::Kld] = 0.3;
    measured.row[FitMetric::KldSe] = 0.04;
    unmeasured.row[FitMetric::Kld] = 0.5;
    const auto chart = buildParetoChart({measured, unmeasured}, resultAxis(FitMetric::Kld),
                                        resultAxis(FitMetric::Ratio), true);
    QCOMPARE(chart.series[0].points[0].yError, 0.04);
    QVERIFY(std::isnan(chart.series[0].points[1].yError));
    const auto cos = buildParetoChart({measured}, resultAxis(FitMetric::CosSim), resultAxis(FitMetric::Ratio), true);
    QVERIFY(std::isnan(cos.series[0].points[0].yError));
  }
};

QTEST_GUILESS_MAIN(TestPareto)
#include "test_pareto.moc"
