// gui_screenshots PROJECT OUT_DIR [PRESET [WIDTHxHEIGHT [SWEEP.json]]]: grabs the main window
// (default 1600x1000) with the Overview (OUT_DIR/overview.png), the Results tab of the project's
// latest sweep (OUT_DIR/pareto.png), its scatter tab (OUT_DIR/scatter.png), its per-job summary
// tab (OUT_DIR/summary.png), its best-per-family tab at 4x (OUT_DIR/family_best.png), the first
// capture's atlas (OUT_DIR/atlas.png) and its K − V view (OUT_DIR/atlas_difference.png), SIREN
// vs SVD on its first target (OUT_DIR/compare.png), the first SVD fit of the results clicked, with
// its counterpart closest in bytes (OUT_DIR/compare_counterpart.png; when the sweep has one), the
// parallel-coordinates plot (OUT_DIR/parallel.png), which tokens the project's first job with
// model-quality results hurts (OUT_DIR/damage.png; its first job when none has them), what the
// project's first eviction job keeps (OUT_DIR/keep_map.png; one of its targets selected:
// OUT_DIR/keep_map_target.png; when it has one), the byte-budget allocation of its first sweep
// (OUT_DIR/allocation.png; when it measured a per-target metric) and the New
// Sweep dialog with PRESET (default
// demo) loaded (OUT_DIR/sweep_dialog.png) and its Run on Cluster options (OUT_DIR/cluster_dialog.png),
// offscreen.
// With SWEEP.json it then runs that sweep on the project (adding its runs) and grabs the Jobs panel
// while it runs (OUT_DIR/jobs.png) and after it ended (OUT_DIR/jobs_done.png). For
// docs/screenshots.
#include <QApplication>
#include <QComboBox>
#include <QPushButton>
#include <QDir>
#include <QTabWidget>
#include <QTest>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/main_window.h"
#include "widgets/allocation_data.h"
#include "widgets/allocation_view.h"
#include "widgets/plots/line_plot.h"
#include "widgets/results_model.h"
#include "widgets/results_view.h"
#include "widgets/cluster_dialog.h"
#include "widgets/damage_data.h"
#include "widgets/damage_view.h"
#include "widgets/keep_map_data.h"
#include "widgets/keep_map_view.h"
#include "widgets/sweep_dialog.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: gui_screenshots PROJECT OUT_DIR [PRESET]\n");
    return 2;
  }
  const QDir out(QString::fromLocal8Bit(argv[2]));
  const QStringList size =
      QString::fromLocal8Bit(argc > 4 ? argv[4] : "1600x1000").split(QLatin1Char('x'));
  kvwb::app::MainWindow window;
  window.resize(size.value(0).toInt(), size.value(1).toInt());
  if (!window.openProject(QString::fromLocal8Bit(argv[1]))) return 1;
  window.show();
  QTest::qWait(400);  // docks and plots lay out
  bool saved = window.grab().save(out.filePath(QStringLiteral("overview.png")), "PNG");
  if (!window.openResults()) return 1;
  QTest::qWait(400);
  saved = window.grab().save(out.filePath(QStringLiteral("pareto.png")), "PNG");
  auto* parallel = window.findChild<kvwb::widgets::ResultsView*>()->parallelPlot();
  saved = parallel->grab().save(out.filePath(QStringLiteral("parallel.png")), "PNG") && saved;
  const auto showTab = [&](const QString& text) {
    for (auto* tabs : window.findChild<kvwb::widgets::ResultsView*>()->findChildren<QTabWidget*>())
      for (int i = 0; i < tabs->count(); ++i)
        if (tabs->tabText(i) == text) tabs->setCurrentIndex(i);
    QTest::qWait(200);
  };
  showTab(QStringLiteral("Scatter"));
  saved = window.grab().save(out.filePath(QStringLiteral("scatter.png")), "PNG") && saved;
  showTab(QStringLiteral("Per job"));
  saved = window.grab().save(out.filePath(QStringLiteral("summary.png")), "PNG") && saved;
  showTab(QStringLiteral("Best per family"));
  saved = window.grab().save(out.filePath(QStringLiteral("family_best.png")), "PNG") && saved;
  auto* central = window.findChild<QTabWidget*>(QStringLiteral("centralTabs"));
  for (int i = 0; i < central->count(); ++i)
    if (central->tabText(i).startsWith(QStringLiteral("Atlas"))) central->setCurrentIndex(i);
  QTest::qWait(300);
  saved = window.grab().save(out.filePath(QStringLiteral("atlas.png")), "PNG") && saved;
  auto* mode = central->currentWidget()->findChild<QComboBox*>(QStringLiteral("modeBox"));
  mode->setCurrentIndex(1);  // K − V
  QTest::qWait(300);
  saved = window.grab().save(out.filePath(QStringLiteral("atlas_difference.png")), "PNG") && saved;
  mode->setCurrentIndex(0);
  window.compareSelectedTarget();
  QTest::qWaitFor([&] { return window.jobRunner().runningCount() == 0; }, 600000);  // both fits
  QTest::qWait(400);
  saved = window.grab().save(out.filePath(QStringLiteral("compare.png")), "PNG") && saved;
  auto* results = window.findChild<kvwb::widgets::ResultsView*>();
  for (const auto& e : results->model().entries()) {
    if (e.method != "svd" || e.row.layer < 0) continue;  // a per-target fit, clicked
    Q_EMIT results->fitSelected(QString::fromStdString(e.runId), e.row.layer, e.row.head,
                                QString::fromStdString(e.row.kind),
                                QString::fromStdString(e.row.paramsJson));
    QTest::qWait(100);
    QTest::qWaitFor([&] { return window.jobRunner().runningCount() == 0; }, 600000);
    QTest::qWait(400);
    saved = window.grab().save(out.filePath(QStringLiteral("compare_counterpart.png")), "PNG") && saved;
    break;
  }
  const auto& project = *window.projectModel().project();
  if (const auto jobs = kvwb::widgets::damageJobChoices(project, project.runs()); !jobs.empty()) {
    auto* damage = window.openDamage(QString::fromStdString(jobs.front().key));
    (void)QTest::qWaitFor([&] { return damage->damage() != nullptr || !damage->busy(); }, 600000);
    QTest::qWait(400);
    saved = damage->damage() &&
            window.grab().save(out.filePath(QStringLiteral("damage.png")), "PNG") && saved;
  }
  if (const auto jobs = kvwb::widgets::keepMapJobChoices(project, project.runs()); !jobs.empty()) {
    auto* keep = window.openKeepMap(QString::fromStdString(jobs.front().key));
    (void)QTest::qWaitFor([&] { return keep->keepMap() != nullptr || !keep->busy(); }, 600000);
    QTest::qWait(400);
    saved = keep->keepMap() &&
            window.grab().save(out.filePath(QStringLiteral("keep_map.png")), "PNG") && saved;
    keep->selectTarget(static_cast<int>(keep->keepMap()->targets.size()) / 2 - 1);  // the last K
    QTest::qWait(400);
    saved = window.grab().save(out.filePath(QStringLiteral("keep_map_target.png")), "PNG") && saved;
  }
  if (!project.runs().empty()) {
    const std::string sweep = project.runs().front().id.substr(0, project.runs().front().id.find('.'));
    if (!kvwb::widgets::allocationMetricColumns(kvwb::widgets::loadAllocationRuns(project.path(), {sweep})).empty() &&
        window.openAllocation(QString::fromStdString(sweep))) {
      QTest::qWait(400);
      saved = window.grab().save(out.filePath(QStringLiteral("allocation.png")), "PNG") && saved;
    }
  }
  kvwb::widgets::SweepDialog dialog(*window.projectModel().project(), &window);
  dialog.loadPreset(argc > 3 ? QString::fromLocal8Bit(argv[3]) : QStringLiteral("demo"));
  dialog.show();
  QTest::qWait(300);
  QTest::qWaitFor([&] { return !dialog.timing(); }, 120000);  // the time estimate
  saved = dialog.grab().save(out.filePath(QStringLiteral("sweep_dialog.png")), "PNG") && saved;
  dialog.findChild<QPushButton*>(QStringLiteral("runOnCluster"))->click();
  QTest::qWait(300);
  auto* cluster = dialog.findChild<kvwb::widgets::ClusterDialog*>();
  saved = cluster && cluster->grab().save(out.filePath(QStringLiteral("cluster_dialog.png")), "PNG") && saved;
  if (cluster) cluster->reject();
  dialog.hide();
  // The Pareto front against the predicted decode time (OUT_DIR/pareto_decode.png).
  window.openResults()->setParetoX(kvwb::widgets::kDecodeAxisName);
  showTab(QStringLiteral("Pareto front"));
  saved = window.grab().save(out.filePath(QStringLiteral("pareto_decode.png")), "PNG") && saved;
  if (argc > 5) {
    std::ifstream specFile(argv[5]);
    const int id = window.startSweep(nlohmann::json::parse(specFile));
    if (id < 0) return 1;
    const auto& status = window.jobRunner().status(id);
    const auto running = [&] { return status.state == kvwb::widgets::JobState::Running; };
    QTest::qWaitFor([&] { return status.started; }, 600000);
    QTest::qWaitFor([&] { return status.fraction > 0.3 || !running(); }, 600000);
    saved = window.grab().save(out.filePath(QStringLiteral("jobs.png")), "PNG") && saved;
    QTest::qWaitFor([&] { return !running(); }, 600000);
    QTest::qWait(2500);  // the elapsed time must not move on
    saved = window.grab().save(out.filePath(QStringLiteral("jobs_done.png")), "PNG") && saved;
  }
  if (!saved) std::fprintf(stderr, "gui_screenshots: cannot write into %s\n", argv[2]);
  return saved ? 0 : 1;
}
