// The results views over a real sweep of a synthetic capture: the table model (one column per fit
// metric of the table) and its proxy pass QAbstractItemModelTester, sort numerically and filter
// by scope and text; the view plots the Pareto front per method, a click on a job aggregate emits
// fitSelected with the job's worst target, the CSV export writes every row of the shown runs, the
// per-job summary tab holds each job's means, the predicted decode time axis and summary column
// hold core::decodeCostOfRuns's times, and the Best per family tab follows its ratio spin box.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QTabWidget>
#include <QSet>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "core/decode/decode_cost_report.h"
#include "test_fixture.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/plots/scatter_plot.h"
#include "core/reports/family_best.h"
#include "widgets/family_best_page.h"
#include "widgets/results_model.h"
#include "widgets/results_view.h"
#include "widgets/summary_model.h"

using namespace kvwb::widgets;
using kvwb::core::FitMetric;
namespace test = kvwb::widgets::test;

class TestResultsView : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path m_project;
  QStringList m_runs;
  // 2 jobs per method, each 2 layers x 4 heads x K/V = 16 target rows + 1 aggregate.
  static constexpr int kRows = 4 * 17, kAggregates = 4;

 private Q_SLOTS:
  void initTestCase() {
    m_project = std::filesystem::path(m_dir.filePath(QStringLiteral("r.kvw")).toStdString());
    const auto dump = m_project.parent_path() / "d.safetensors";
    test::writeSyntheticDump(dump, 2, 4, 64, 8);
    test::importInto(m_project, dump);
    test::sweepInto(m_project, test::quickSweepSpec());
    for (const auto& run : kvwb::core::Project::open(m_project).runs())
      m_runs << QString::fromStdString(run.id);
    QCOMPARE(m_runs.size(), 2);
  }

  void modelAndProxy() {
    ResultsModel model;
    ResultsProxy proxy;
    QAbstractItemModelTester modelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto project = kvwb::core::Project::open(m_project);
    model.setEntries(resultEntries(kvwb::core::loadRunResults(project, project.runs())));
    QCOMPARE(model.rowCount(), kRows);
    QCOMPARE(proxy.rowCount(), kAggregates);  // job aggregates by default
    QCOMPARE(proxy.index(0, ResultsModel::LayerColumn).data().toString(), QStringLiteral("all"));
    proxy.setAggregates(false);
    QCOMPARE(proxy.rowCount(), kRows - kAggregates);
    const int ratioColumn = ResultsModel::metricColumn(FitMetric::Ratio);
    proxy.sort(ratioColumn, Qt::AscendingOrder);
    double previous = 0;
    for (int row = 0; row < proxy.rowCount(); ++row) {
      const double ratio = proxy.index(row, ratioColumn).data(ResultsModel::SortRole).toDouble();
      QVERIFY2(ratio >= previous, "sorted by ratio as numbers");
      previous = ratio;
    }
    proxy.setFilterFixedString(QStringLiteral("bits=4"));
    QCOMPARE(proxy.rowCount(), 16);  // the INT4 job's targets
    QVERIFY(proxy.index(0, ResultsModel::ParamsColumn).data().toString().contains(QStringLiteral("bits=4")));
  }

  // One column per fit metric, headed by its column name, holding the row's value.
  void modelHasOneColumnPerMetric() {
    ResultsModel model;
    const auto project = kvwb::core::Project::open(m_project);
    model.setEntries(resultEntries(kvwb::core::loadRunResults(project, project.runs())));
    const auto metrics = kvwb::core::fitMetrics();
    QCOMPARE(model.columnCount(), ResultsModel::FirstMetricColumn + int(metrics.size()) + 1);
    QCOMPARE(model.headerData(ResultsModel::DeviceColumn, Qt::Horizontal).toString(),
             QStringLiteral("device"));
    QSet<int> columns;
    for (const auto& m : metrics) {
      const int column = ResultsModel::metricColumn(m.id);
      columns.insert(column);
      QCOMPARE(model.headerData(column, Qt::Horizontal).toString(), QString::fromUtf8(m.column));
      QVERIFY(model.headerData(column, Qt::Horizontal, Qt::ToolTipRole)
                  .toString()
                  .startsWith(QString::fromUtf8(m.title)));
      for (int row = 0; row < model.rowCount(); ++row) {
        const double want = model.entry(row).row[m.id];
        const QModelIndex index = model.index(row, column);
        const double got = index.data(ResultsModel::SortRole).toDouble();
        QVERIFY(std::isnan(want) ? std::isnan(got) : got == want);
        QCOMPARE(index.data().toString(),
                 std::isnan(want) ? QStringLiteral("—")
                                  : QString::fromStdString(kvwb::core::formatMetric(m.id, want)));
      }
    }
    QCOMPARE(columns.size(), int(metrics.size()));
  }

  void paretoClickAndExport() {
    ResultsView view;
    view.resize(1100, 800);
    view.setProject(kvwb::core::Project::open(m_project));
    view.showRuns(m_runs);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QCOMPARE(view.shownRuns(), m_runs);
    QCOMPARE(view.model().rowCount(), kRows);
    view.setPareto(FitMetric::RelErr, FitMetric::Ratio);
    ScatterPlot* plot = view.paretoPlot();
    const ScatterChart& chart = plot->chart();
    QCOMPARE(chart.series.size(), std::size_t{2});  // svd and quant
    QVERIFY(!chart.overallFront.empty());
    for (const auto& s : chart.series) QVERIFY(!s.front.empty());
    plot->canvas()->replot();  // lay out now: pixel positions of the points
    QSignalSpy spy(&view, &ResultsView::fitSelected);
    const ScatterPoint& point = chart.series[1].points[0];
    QTest::mouseClick(plot->canvas(), Qt::LeftButton, {}, plot->pointPosition(1, 0).toPoint());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy[0][0].toString().toStdString(), point.fit.runId);
    // A job aggregate (the point's tooltip says so) opens the job's worst target: its K or V row of lowest cosine similarity.
    QVERIFY(point.tooltip.find("job aggregate") != std::string::npos);
    QVERIFY(spy[0][1].toInt() >= 0);
    QCOMPARE(spy[0][4].toString().toStdString(), point.fit.paramsJson);
    const auto aggregateJob = nlohmann::json::parse(point.fit.paramsJson)["job"];
    QVERIFY(!aggregateJob.is_null());
    double worst = std::numeric_limits<double>::infinity(), clicked = worst;
    for (const auto& e : view.model().entries()) {
      if (e.aggregate() || e.runId != point.fit.runId ||
          nlohmann::json::parse(e.row.paramsJson)["job"] != aggregateJob)
        continue;
      const double cos = e.row[FitMetric::CosSim];
      worst = std::min(worst, cos);
      if (e.row.layer == spy[0][1].toInt() && e.row.head == spy[0][2].toInt() &&
          e.row.kind == spy[0][3].toString().toStdString())
        clicked = cos;
    }
    QCOMPARE(clicked, worst);

    const QString csv = m_dir.filePath(QStringLiteral("r.csv"));
    QString error;
    QVERIFY2(view.exportCsv(csv, &error), qPrintable(error));
    std::ifstream in(csv.toStdString());
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    QCOMPARE(lines, 1 + kRows);
    std::ifstream again(csv.toStdString());
    std::string header;
    std::getline(again, header);
    for (const auto& m : kvwb::core::fitMetrics())
      QVERIFY2(("," + header + ",").find("," + std::string(m.column) + ",") != std::string::npos,
               m.column);
  }

  void perJobSummary() {
    ResultsView view;
    view.setProject(kvwb::core::Project::open(m_project));
    view.showRuns(m_runs);
    SummaryModel& summary = view.summaryModel();
    QAbstractItemModelTester tester(&summary, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(summary.rowCount(), kAggregates);  // one row per job
    const int kCos = summaryColumn(summary, QStringLiteral("K cos"));
    const int method = summaryColumn(summary, QStringLiteral("method"));
    const int params = summaryColumn(summary, QStringLiteral("params"));
    QVERIFY(kCos >= 0 && method >= 0 && params >= 0);
    QVERIFY(summary.commonParamsText().contains(QStringLiteral("svd")));
    // Each row's K cosine is the mean over that job's K targets in the per-target rows.
    for (int row = 0; row < summary.rowCount(); ++row) {
      const QString m = summary.index(row, method).data().toString();
      const QString p = summary.index(row, params).data().toString();
      double sum = 0;
      int n = 0;
      for (const ResultEntry& e : view.model().entries())
        if (QString::fromStdString(e.method) == m && e.row.kind == "K" &&
            QString::fromStdString(kvwb::core::paramsText(e.row.paramsJson)).contains(p))
          sum += e.row[FitMetric::CosSim], ++n;
      QCOMPARE(n, 8);  // 2 layers x 4 heads
      QVERIFY(qAbs(summary.index(row, kCos).data(Qt::UserRole).toDouble() - sum / n) < 1e-12);
    }
  }

  // The decode axis as Pareto x: each job aggregate at its job's predicted time (per-target rows
  // at their job's), labelled with the device, the raw cache's time noted; the Per job column
  // holds the same times.
  void predictedDecodeTime() {
    ResultsView view;
    view.setProject(kvwb::core::Project::open(m_project));
    view.showRuns(m_runs);
    view.setDecodeCost(QStringLiteral("h200"), 4096);
    view.setParetoX(kDecodeAxisName);
    const auto project = kvwb::core::Project::open(m_project);
    const auto report = kvwb::core::decodeCostOfRuns(project, project.runs(), 4096,
                                                     kvwb::core::deviceProfile("h200"));
    std::map<std::pair<std::string, std::string>, double> want;
    for (const auto& row : report.rows)
      if (!row.run.empty()) want[{row.run, row.job}] = row.predicted.micros;
    QCOMPARE(want.size(), std::size_t{kAggregates});
    const auto jobTime = [&](const FitRef& fit) {
      return want.at({fit.runId, nlohmann::json::parse(fit.paramsJson)["job"].get<std::string>()});
    };
    const ScatterChart& chart = view.paretoPlot()->chart();
    QCOMPARE(chart.xLabel, std::string("decode time (predicted, H200) (µs)"));
    QVERIFY(chart.logX);
    QVERIFY(chart.note.find("raw float16 cache: ") != std::string::npos);  // the baseline
    std::size_t points = 0;
    for (const auto& s : chart.series)
      for (const auto& p : s.points) {
        QCOMPARE(p.x, jobTime(p.fit));
        ++points;
      }
    QCOMPARE(points, std::size_t{kAggregates});
    view.setAggregates(false);
    for (const auto& s : view.paretoPlot()->chart().series)
      for (const auto& p : s.points) QCOMPARE(p.x, jobTime(p.fit));

    SummaryModel& summary = view.summaryModel();
    const int column = summaryColumn(summary, QStringLiteral("decode µs (predicted, H200)"));
    const int method = summaryColumn(summary, QStringLiteral("method"));
    QVERIFY(column >= 0 && method >= 0);
    QVERIFY(summary.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().contains("4096"));
    // Each row's time is its job's: the report's rows of that method hold it, each once.
    std::multiset<std::pair<std::string, double>> expected, shown;
    for (const auto& row : report.rows)
      if (!row.run.empty()) expected.insert({row.method, row.predicted.micros});
    for (int row = 0; row < summary.rowCount(); ++row)
      shown.insert({summary.index(row, method).data().toString().toStdString(),
                    summary.index(row, column).data(Qt::UserRole).toDouble()});
    QVERIFY(shown == expected);
    view.setDecodeCost(QStringLiteral("a100"), 4096);
    QVERIFY(summaryColumn(summary, QStringLiteral("decode µs (predicted, A100)")) >= 0);
  }

  // The Best per family tab: a ratio typed into its spin box picks, per family, the job within
  // the budget with the lowest relative error (this sweep measured neither KLD nor attention KL),
  // checked against every job of the per-job summary; the metric combo changes the rule; a
  // budget no job meets leaves no rows and says why under the table.
  void bestPerFamilyTab() {
    ResultsView view;
    view.setProject(kvwb::core::Project::open(m_project));
    view.showRuns(m_runs);
    auto* page = view.findChild<FamilyBestPage*>(QStringLiteral("familyBest"));
    auto* ratio = view.findChild<QDoubleSpinBox*>(QStringLiteral("familyRatio"));
    auto* by = view.findChild<QComboBox*>(QStringLiteral("familyBy"));
    auto* notes = view.findChild<QLabel*>(QStringLiteral("familyNotes"));
    QVERIFY(page && ratio && by && notes);
    auto* tabs = qobject_cast<QTabWidget*>(page->parentWidget()->parentWidget());
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(tabs->indexOf(page)), QStringLiteral("Best per family"));
    tabs->setCurrentWidget(page);
    SummaryModel& model = page->model();
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);

    ratio->selectAll();
    QTest::keyClicks(ratio, QStringLiteral("1.5"));
    QTest::keyClick(ratio, Qt::Key_Return);
    QCOMPARE(ratio->value(), 1.5);
    const int family = summaryColumn(model, QStringLiteral("family"));
    const int chosenBy = summaryColumn(model, QStringLiteral("chosen by"));
    const int method = summaryColumn(model, QStringLiteral("method"));
    const int ratioColumn = summaryColumn(model, QStringLiteral("ratio"));
    QVERIFY(family == 0 && chosenBy == 2 && method >= 0 && ratioColumn >= 0);
    QCOMPARE(model.rowCount(), 2);  // low-rank (svd ranks 1, 2), quantization (INT4; INT8 is 1.3x)
    // Brute force over every job of the summary: the lowest relative error within the budget.
    const auto project = kvwb::core::Project::open(m_project);
    const auto summary = kvwb::core::summarizeResults(project, project.runs(),
                                                      kvwb::core::SummaryGrouping::Job);
    for (int row = 0; row < model.rowCount(); ++row) {
      const auto want = model.index(row, method).data().toString().toStdString();
      const kvwb::core::SummaryRow* best = nullptr;
      for (const auto& r : summary.rows)
        if (r.method == want && r.jobValues[FitMetric::Ratio] >= 1.5 &&
            (!best || r.jobValues[FitMetric::RelErr] < best->jobValues[FitMetric::RelErr]))
          best = &r;
      QVERIFY(best);
      QCOMPARE(model.index(row, family).data().toString().toStdString(),
               kvwb::core::familyOf(want));
      QVERIFY(model.index(row, chosenBy).data().toString().startsWith(QStringLiteral("rel_err")));
      QCOMPARE(model.index(row, ratioColumn).data(Qt::UserRole).toDouble(),
               best->jobValues[FitMetric::Ratio]);
    }
    QCOMPARE(page->best().rows.size(), kvwb::core::bestPerFamily(summary, 1.5).rows.size());

    // By compression ratio (higher wins): SVD rank 1, the smallest.
    by->setCurrentIndex(by->findText(QString::fromUtf8(kvwb::core::fitMetric(FitMetric::Ratio).title)));
    QVERIFY(model.index(0, chosenBy).data().toString().startsWith(QStringLiteral("ratio")));
    QVERIFY(model.index(0, summaryColumn(model, QStringLiteral("params"))).data().toString()
                .contains(QStringLiteral("rank=1")));

    page->setRatio(500);
    QCOMPARE(model.rowCount(), 0);
    QVERIFY2(notes->text().contains(QStringLiteral("no job at ratio ≥ 500")), qPrintable(notes->text()));
    QVERIFY(notes->text().startsWith(QStringLiteral("ratio ≥ 500")));
  }

 private:
  static int summaryColumn(const SummaryModel& summary, const QString& header) {
    for (int c = 0; c < summary.columnCount(); ++c)
      if (summary.headerData(c, Qt::Horizontal).toString() == header) return c;
    return -1;
  }
};

QTEST_MAIN(TestResultsView)
#include "test_results_view.moc"
