// The main window runs a sweep as a job: the Results tab opens on the sweep's runs, fills as the
// jobs commit, and after the job the project tree lists the runs; selecting a run reopens its
// sweep's results; reopening the project opens on its results. A sweep's cluster scripts are
// written from the sweep dialog, and its shards merged from the File menu.
#include <QAction>
#include <QCheckBox>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <fstream>
#include <QTreeView>

#include "app/main_window.h"
#include "test_fixture.h"
#include "widgets/results_model.h"
#include "widgets/cluster_dialog.h"
#include "widgets/results_view.h"
#include "widgets/sweep_dialog.h"

using kvwb::app::MainWindow;
using kvwb::widgets::JobState;
using kvwb::widgets::ProjectModel;
using kvwb::widgets::ResultsView;
namespace test = kvwb::widgets::test;

class TestMainWindowSweep : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  QString m_project;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_project = m_dir.filePath(QStringLiteral("w.kvw"));
    const auto dump = std::filesystem::path(m_dir.filePath(QStringLiteral("d.safetensors")).toStdString());
    test::writeSyntheticDump(dump, 2, 4, 64, 8);
    test::importInto(m_project.toStdString(), dump);
  }

  void sweepShowsResults() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(m_project));
    QVERIFY(w.findChild<ResultsView*>() == nullptr);  // no runs yet
    const int id = w.startSweep(test::quickSweepSpec());
    QVERIFY(id > 0);
    auto* results = w.findChild<ResultsView*>(QStringLiteral("results"));
    QVERIFY(results != nullptr);
    QCOMPARE(w.findChild<QTabWidget*>(QStringLiteral("centralTabs"))->currentWidget(), results);
    QVERIFY(QTest::qWaitFor(
        [&] { return w.jobRunner().status(id).state != JobState::Running; }, 60000));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    QCOMPARE(results->model().rowCount(), 4 * 17);
    QCOMPARE(results->shownRuns().size(), 2);
    const QModelIndex runs = w.projectModel().groupIndex(ProjectModel::Runs);
    QCOMPARE(w.projectModel().rowCount(runs), 2);

    results->showRuns({});
    QCOMPARE(results->model().rowCount(), 0);
    auto* tree = w.findChild<QTreeView*>(QStringLiteral("projectTree"));
    tree->setCurrentIndex(w.projectModel().index(0, 0, runs));
    QCOMPARE(results->shownRuns().size(), 2);  // every run of the selected run's sweep
  }

  void figureSetExportRunsAsJob() {
    MainWindow w;
    QVERIFY(w.openProject(m_project));
    w.setGuiProgram(QStringLiteral(KVWB_GUI_BINARY));
    QTemporaryDir out;
    const int id = w.startFigureSetExport(out.path(), QStringLiteral("png"));
    QVERIFY(id > 0);
    QVERIFY(QTest::qWaitFor([&] { return w.jobRunner().status(id).state != JobState::Running; }, 120000));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    QVERIFY(!QDir(out.path()).entryList({QStringLiteral("*.png")}, QDir::Files).isEmpty());
  }

  // Run on Cluster from the sweep dialog (scripts written, not submitted: the real Slurm array is
  // tests/cluster's), then the shards run as the array's tasks would and File → Merge Shards folds
  // them in: the project ends with the runs and rows of a single-process sweep.
  void clusterScriptsThenMergedShards() {
    const QString path = m_dir.filePath(QStringLiteral("cluster.kvw"));
    const auto dump = std::filesystem::path(m_dir.filePath(QStringLiteral("c.safetensors")).toStdString());
    test::writeSyntheticDump(dump, 2, 4, 64, 8);
    test::importInto(path.toStdString(), dump);
    MainWindow w;
    w.show();
    QVERIFY(w.openProject(path));
    auto spec = test::quickSweepSpec();
    spec["name"] = "shards";
    w.findChild<QAction*>(QStringLiteral("sweepAction"))->trigger();
    auto* sweepDialog = w.findChild<kvwb::widgets::SweepDialog*>();
    QVERIFY(sweepDialog != nullptr);
    sweepDialog->setSpec(spec);
    sweepDialog->findChild<QPushButton*>(QStringLiteral("runOnCluster"))->click();
    auto* cluster = sweepDialog->findChild<kvwb::widgets::ClusterDialog*>();
    QVERIFY(cluster != nullptr);
    cluster->findChild<QSpinBox*>(QStringLiteral("tasks"))->setValue(2);
    cluster->findChild<QCheckBox*>(QStringLiteral("submit"))->setChecked(false);
    cluster->findChild<QLineEdit*>(QStringLiteral("cli"))->setText(QStringLiteral(KVWB_CLI_BINARY));
    cluster->accept();
    const std::filesystem::path scripts = path.toStdString() + ".shards.slurm";
    QVERIFY(QTest::qWaitFor(
        [&] { return w.jobRunner().runningCount() == 0 && std::filesystem::exists(scripts / "array.sbatch"); },
        30000));
    QVERIFY(std::filesystem::exists(scripts / "merge.sbatch"));
    std::ifstream array(scripts / "array.sbatch");
    const std::string text{std::istreambuf_iterator<char>(array), {}};
    QVERIFY(text.find("#SBATCH --array=0-1") != std::string::npos);
    QVERIFY(text.find(KVWB_CLI_BINARY) != std::string::npos);

    const auto parsed = kvwb::core::parseSweepSpec(spec, "test");
    std::vector<std::filesystem::path> shards;
    for (int i = 0; i < 2; ++i) {
      kvwb::core::JobContext ctx;
      shards.push_back(kvwb::core::runSweep(path.toStdString(), parsed, ctx,
                                            kvwb::core::ShardId{i, 2}).output);
    }
    const int id = w.mergeShards(shards);
    QVERIFY(id > 0);
    QVERIFY(QTest::qWaitFor([&] { return w.jobRunner().status(id).state != JobState::Running; }, 60000));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    const QModelIndex runs = w.projectModel().groupIndex(ProjectModel::Runs);
    QCOMPARE(w.projectModel().rowCount(runs), 2);
    auto* results = w.findChild<ResultsView*>(QStringLiteral("results"));
    QVERIFY(results != nullptr);
    QCOMPARE(results->model().rowCount(), 4 * 17);
  }

  void reopenedProjectShowsResults() {
    MainWindow w;
    QVERIFY(w.openProject(m_project));
    auto* results = w.findChild<ResultsView*>(QStringLiteral("results"));
    QVERIFY(results != nullptr);
    QCOMPARE(results->model().rowCount(), 4 * 17);
  }
};

QTEST_MAIN(TestMainWindowSweep)
#include "test_main_window_sweep.moc"
