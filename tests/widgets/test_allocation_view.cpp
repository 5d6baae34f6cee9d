// The Allocation view on real sweep results: the demo project swept with SVD ranks 1, 2, 4 and
// KIVI INT8/INT4 over every layer and head (128 tokens, attention metrics). The data layer offers
// only the metrics measured per target and refuses the others naming the project; the curve's
// allocation is never worse than the best uniform option; moving the slider re-solves, the bytes
// change and stay within the budget; the map shows, and paints, the option core::AllocationSolver
// (its KnapsackSolver) chose for every target; "Run this allocation" emits a spec that
// core::parseSweepSpec accepts; from the main window, Analysis → Allocate a Byte Budget… opens
// the tab and its run starts a sweep that finishes.
#include <QAction>
#include <QComboBox>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <set>

#include "app/main_window.h"
#include "core/base/errors.h"
#include "core/sweep/sweep_spec.h"
#include "test_fixture.h"
#include "widgets/allocation_view.h"
#include "widgets/plots/line_plot.h"

using namespace kvwb;
using widgets::AllocationView;
namespace test = widgets::test;

class TestAllocationView : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path m_project;

  void showOn(AllocationView& view) {
    view.resize(1400, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(view.showRuns(m_project, {"alloc"}));
    QTest::qWait(50);  // the map lays out
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_project = test::copyDemoProject(m_dir.path().toStdString());
    if (m_project.empty()) QSKIP("datasets/demo.kvw is not in the checkout");
    // Built as JSON values: moc (Qt 6.4) loses its way in multi-line raw strings.
    using nlohmann::json;
    json spec = {{"name", "alloc"},
                 {"captures", {"tinystories"}},
                 {"seq_lengths", {128}},
                 {"methods", json::array({{{"method", "svd"}, {"grid", {{"rank", {1, 2, 4}}}}},
                                          {{"method", "quant"},
                                           {"params", {{"axis", "kivi"}}},
                                           {"grid", {{"bits", {8, 4}}}}}})},
                 {"device", "cpu"}};
    spec["targets"] = {{"layers", "all"}, {"heads", "all"}, {"kinds", {"K", "V"}}};
    spec["metrics"] = {{"attention", true}, {"delta_ppl", "none"}, {"quality", "none"}};
    test::sweepInto(m_project, spec);
  }

  void offersMeasuredMetricsAndRefusesOthers() {
    const auto runs = widgets::loadAllocationRuns(m_project, {"alloc"});
    QCOMPARE(runs.size(), std::size_t{2});
    QCOMPARE(widgets::allocationMetricColumns(runs),
             (std::vector<std::string>{"attn_kl", "attn_out_err", "rel_err"}));
    try {
      widgets::buildAllocationModel(runs, "delta_ppl", m_project);
      QFAIL("delta_ppl was not measured per target");
    } catch (const core::InputError& e) {
      QVERIFY2(std::string(e.what()).find("demo.kvw") != std::string::npos, e.what());
      QVERIFY2(std::string(e.what()).find("delta_ppl") != std::string::npos, e.what());
    }
    QVERIFY_THROWS_EXCEPTION(core::InputError,
                             widgets::loadAllocationRuns(m_project, {"nosuchsweep"}));
  }

  void curveAllocationNeverWorseThanUniform() {
    const auto model = widgets::buildAllocationModel(
        widgets::loadAllocationRuns(m_project, {"alloc"}), "attn_out_err", m_project);
    QCOMPARE(model.table.options.size(), std::size_t{5});
    QCOMPARE(model.table.targets.size(), std::size_t{40});  // 5 layers x 4 heads x K, V
    const auto curve = widgets::allocationCurve(model);
    QCOMPARE(curve.ratios.size(), std::size_t{40});
    QVERIFY(std::is_sorted(curve.ratios.begin(), curve.ratios.end()));
    QCOMPARE(curve.ratios.front(), model.minRatio());
    QVERIFY(std::abs(curve.ratios.back() / model.maxRatio() - 1) < 1e-9);
    int uniform = 0;
    for (std::size_t i = 0; i < curve.ratios.size(); ++i) {
      if (std::isnan(curve.uniformDamage[i])) continue;
      ++uniform;
      QVERIFY2(curve.allocationDamage[i] <= curve.uniformDamage[i] * (1 + 1e-12),
               qPrintable(QStringLiteral("ratio %1: %2 > %3")
                              .arg(curve.ratios[i])
                              .arg(curve.allocationDamage[i])
                              .arg(curve.uniformDamage[i])));
    }
    QVERIFY(uniform >= 2);  // the cheapest and the richest options are uniform choices
    const auto chart = widgets::allocationChart(model, curve, 4);
    QCOMPARE(chart.series.size(), std::size_t{2});
    QCOMPARE(chart.markers.front().x, 4.0);
  }

  void sliderResolvesWithinTheBudget() {
    AllocationView view;
    showOn(view);
    QCOMPARE(view.metricBox()->count(), 3);
    QVERIFY(view.budgetSlider()->isEnabled());
    QVERIFY(view.curvePlot()->chart().series.size() == 2);
    std::vector<double> bytes;
    for (int value : {0, 300, 600, widgets::AllocationView::kSliderSteps}) {
      view.budgetSlider()->setValue(value);
      const auto& pick = *view.pick();
      QVERIFY(pick.allocation.bytes <= pick.budget);
      QVERIFY(pick.ratio >= AllocationView::kLowestRatio * (1 - 1e-9));
      QCOMPARE(view.curvePlot()->chart().markers.front().x, pick.ratio);
      QVERIFY2(view.summaryLabel()->text().contains(QStringLiteral("budget")),
               qPrintable(view.summaryLabel()->text()));
      bytes.push_back(pick.allocation.bytes);
    }
    // A higher ratio is a smaller budget: the bytes fall as the slider moves right.
    QVERIFY(std::is_sorted(bytes.rbegin(), bytes.rend()));
    QVERIFY(bytes.front() > bytes.back());
    view.setRatio(4);
    QVERIFY(std::abs(view.ratio() / 4 - 1) < 0.01);
  }

  void mapShowsTheSolversChoice() {
    AllocationView view;
    showOn(view);
    QVERIFY(view.setMetric(QStringLiteral("attn_out_err")));
    view.setRatio(4);
    const auto& model = *view.model();
    const auto& pick = *view.pick();
    const auto expected = core::AllocationSolver(model.table).solve(pick.budget);
    const auto& map = view.map();
    QCOMPARE(map.layers, 5);
    QCOMPARE(map.heads, 4);
    QCOMPARE(map.panels.size(), std::size_t{2});
    QCOMPARE(map.panels[1].kind, std::string("V"));
    const QImage image = view.mapWidget()->grab().toImage();
    const auto colours = widgets::optionColours(model.table);
    std::set<int> shown;
    for (std::size_t t = 0; t < model.table.targets.size(); ++t) {
      const auto& target = model.table.targets[t];
      const int panel = target.kind == "K" ? 0 : 1;
      const auto& cell =
          map.panels[static_cast<std::size_t>(panel)]
              .cells[static_cast<std::size_t>(target.layer * map.heads + target.head)];
      QCOMPARE(cell.option, expected.choice[t]);
      QVERIFY(std::abs(cell.share - model.table.bytesAt(t, static_cast<std::size_t>(cell.option)) /
                                        target.rawBytes) < 1e-12);
      const QPoint centre = view.cellPosition(panel, target.layer, target.head) *
                            view.mapWidget()->devicePixelRatioF();
      QCOMPARE(image.pixelColor(centre).rgb(),
               colours[static_cast<std::size_t>(cell.option)].rgb());
      shown.insert(cell.option);
    }
    QVERIFY(shown.size() >= 2);  // a mix, not a uniform choice
    QCOMPARE(map.legend.size(), shown.size());
    // Different options never share a colour (those of one method are shades of its hue).
    std::set<QRgb> distinct;
    for (const auto& c : colours) distinct.insert(c.rgb());
    QCOMPARE(distinct.size(), colours.size());
  }

  void runButtonEmitsAValidSpec() {
    AllocationView view;
    showOn(view);
    QSignalSpy run(&view, &AllocationView::runRequested);
    QVERIFY(view.runButton()->isEnabled());
    QTest::mouseClick(view.runButton(), Qt::LeftButton);
    QCOMPARE(run.size(), 1);
    QCOMPARE(run.front().at(1).toString(), QStringLiteral("alloc-alloc"));
    const auto spec = nlohmann::json::parse(run.front().at(0).toString().toStdString());
    const core::SweepSpec parsed = core::parseSweepSpec(spec, "allocation");
    QCOMPARE(parsed.name, std::string("alloc-alloc"));
    QVERIFY(!parsed.methods.empty());
  }

  void failedMetricIsReported() {
    AllocationView view;
    showOn(view);
    QSignalSpy failed(&view, &AllocationView::failed);
    QVERIFY(!view.setMetric(QStringLiteral("delta_ppl")));
    QCOMPARE(failed.size(), 1);
    QVERIFY(failed.front().front().toString().contains(QStringLiteral("demo.kvw")));
    QVERIFY(!view.runButton()->isEnabled());
    QVERIFY(!view.budgetSlider()->isEnabled());
    QVERIFY(view.setMetric(QStringLiteral("attn_kl")));
    QVERIFY(view.runButton()->isEnabled());
  }

  void mainWindowMenuOpensTheTabAndRuns() {
    app::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));
    auto* action = w.findChild<QAction*>(QStringLiteral("allocationAction"));
    QVERIFY(action && action->isEnabled());
    action->trigger();
    auto* dialog = w.findChild<QInputDialog*>(QStringLiteral("allocationSweepDialog"));
    QVERIFY(dialog);
    QCOMPARE(dialog->comboBoxItems(), QStringList{QStringLiteral("alloc (2 runs)")});
    dialog->accept();
    auto* view = w.findChild<AllocationView*>(QStringLiteral("allocation"));
    QVERIFY(view && view->pick());
    QCOMPARE(w.findChild<QTabWidget*>(QStringLiteral("centralTabs"))->currentWidget(), view);
    QTest::mouseClick(view->runButton(), Qt::LeftButton);
    QVERIFY(w.session().sweeping());
    QVERIFY(QTest::qWaitFor([&] { return !w.session().sweeping(); }, 300000));
    const auto& runs = w.projectModel().runs();
    QVERIFY(std::any_of(runs.begin(), runs.end(), [](const core::RunInfo& r) {
      return r.id.starts_with("alloc-alloc.") && r.status == "finished";
    }));
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));  // a project's tabs close
    QTest::qWait(20);
    QVERIFY(w.findChild<AllocationView*>(QStringLiteral("allocation")) == nullptr);
  }
};

QTEST_MAIN(TestAllocationView)
#include "test_allocation_view.moc"
