// The main window runs a sweep as a job: the Results tab opens on the sweep's runs, fills as the
// jobs commit, and after the job the project tree lists the runs; selecting a run reopens its
// sweep's results; reopening the project opens on its results.
#include <QDir>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "app/main_window.h"
#include "test_fixture.h"
#include "widgets/results_model.h"
#include "widgets/results_view.h"

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
