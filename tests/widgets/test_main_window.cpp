// The main window: opens a project given on the command line's path, lists its captures in the
// explorer, shows the selected capture's details, imports a dropped dump as a job, reports a
// failed import in a message box naming the file, and analyzes a capture as a job whose stored
// atlas then opens in a tab, on the metric chosen in the atlas before it. Its ProjectSession emits
// only what a job or a re-read changed.
#include <QAction>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QUrl>
#include <fstream>

#include "app/main_window.h"
#include "core/analysis/capture_analysis.h"
#include "test_fixture.h"
#include "widgets/atlas_view.h"
#include "widgets/project_session.h"

using kvwb::app::MainWindow;
using kvwb::widgets::JobState;
using kvwb::widgets::ProjectModel;
using kvwb::widgets::ProjectSession;
namespace test = kvwb::widgets::test;

class TestMainWindow : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  QString m_project;
  std::filesystem::path path(const char* name) const {
    return std::filesystem::path(m_dir.filePath(QString::fromLatin1(name)).toStdString());
  }
  static QStringList captureNames(QTreeView* tree) {
    QStringList names;
    const QModelIndex group = tree->model()->index(ProjectModel::Captures, 0);
    for (int row = 0; row < tree->model()->rowCount(group); ++row)
      names << tree->model()->index(row, 0, group).data().toString();
    return names;
  }
  static bool waitFinished(MainWindow& w, int id) {
    return QTest::qWaitFor([&] { return w.jobRunner().status(id).state != JobState::Running; },
                           20000);
  }
  // Delivers a drop of `paths` to the window as a drag from a file manager would.
  static void drop(MainWindow& w, const QStringList& paths) {
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& p : paths) urls << QUrl::fromLocalFile(p);
    mime.setUrls(urls);
    const QPoint at = w.rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent dropEvent(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &dropEvent);
    QVERIFY(dropEvent.isAccepted());
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);  // QSettings (recent files) out of the user's config
    const auto dump = test::makeRealDump(path("real"));
    const auto first = dump.empty() ? path("synthetic.safetensors") : dump;
    if (dump.empty()) test::writeSyntheticDump(first, 2, 4, 64, 8);
    m_project = m_dir.filePath(QStringLiteral("demo.kvw"));
    test::importInto(m_project.toStdString(), first);
  }

  void opensProjectAndListsCaptures() {
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(m_project));
    auto* tree = w.findChild<QTreeView*>(QStringLiteral("projectTree"));
    QVERIFY(tree != nullptr);
    const auto& captures = w.projectModel().project()->captures();
    QCOMPARE(captureNames(tree).size(), static_cast<qsizetype>(captures.size()));
    QCOMPARE(captureNames(tree).front(), QString::fromStdString(captures.front().name));
    QVERIFY(w.projectModel().captureAt(tree->currentIndex()) != nullptr);  // first one selected
    QVERIFY(w.windowTitle().startsWith(QStringLiteral("demo.kvw")));
    auto* device = w.findChild<QLabel*>(QStringLiteral("deviceLabel"));
    QVERIFY(device != nullptr);
    QVERIFY2(device->text().startsWith(QStringLiteral("device: cpu")) ||
                 device->text().startsWith(QStringLiteral("device: cuda")),
             qPrintable(device->text()));
  }

  void droppedDumpIsImported() {
    test::writeSyntheticDump(path("dropped.safetensors"), 2, 2, 16, 4);
    MainWindow w;
    QVERIFY(w.openProject(m_project));
    QSignalSpy started(&w.jobRunner(), &kvwb::widgets::JobRunner::jobStarted);
    drop(w, {m_dir.filePath(QStringLiteral("dropped.safetensors"))});
    QCOMPARE(started.count(), 1);
    const int id = started.front().front().toInt();
    QVERIFY(waitFinished(w, id));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    auto* tree = w.findChild<QTreeView*>(QStringLiteral("projectTree"));
    QVERIFY(captureNames(tree).contains(QStringLiteral("dropped")));
    QCOMPARE(w.projectModel().captureAt(tree->currentIndex())->name, std::string("dropped"));
  }

  void failedImportShowsErrorNamingFile() {
    { std::ofstream(path("corrupt.npy")) << "not a numpy file"; }
    MainWindow w;
    QVERIFY(w.openProject(m_project));
    const int id = w.importDumps({m_dir.filePath(QStringLiteral("corrupt.npy"))});
    QVERIFY(waitFinished(w, id));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Failed);
    auto* box = w.findChild<QMessageBox*>();
    QVERIFY(box != nullptr);
    QVERIFY2(box->text().contains(QStringLiteral("corrupt.npy")), qPrintable(box->text()));
  }

  void unsupportedDropIsRefused() {
    MainWindow w;
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_dir.filePath(QStringLiteral("notes.txt")))});
    QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&w, &enter);
    QVERIFY(!enter.isAccepted());
  }

  void analyzeJobStoresAndOpensAtlas() {
    const QString project = m_dir.filePath(QStringLiteral("analyze.kvw"));
    const auto dump = test::makeRealDump(path("real-analyze"));
    if (dump.empty()) test::writeSyntheticDump(path("analyze.safetensors"), 2, 4, 64, 8);
    test::importInto(project.toStdString(), dump.empty() ? path("analyze.safetensors") : dump);
    MainWindow w;
    QVERIFY(w.openProject(project));
    QVERIFY(w.findChild<kvwb::widgets::AtlasView*>() == nullptr);  // nothing analysed yet
    auto* analyze = w.findChild<QAction*>(QStringLiteral("analyzeAction"));
    QVERIFY(analyze != nullptr && analyze->isEnabled());
    QSignalSpy started(&w.jobRunner(), &kvwb::widgets::JobRunner::jobStarted);
    analyze->trigger();
    QCOMPARE(started.count(), 1);
    QVERIFY(!analyze->isEnabled());  // one analysis at a time
    const int id = started.front().front().toInt();
    QVERIFY(waitFinished(w, id));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    QVERIFY(analyze->isEnabled());

    const auto& p = *w.projectModel().project();
    const std::string capture = p.captures().front().name;
    const auto stored = kvwb::core::loadAnalysis(p, capture);
    QVERIFY(stored.has_value());
    QCOMPARE(w.projectModel().rowCount(w.projectModel().groupIndex(ProjectModel::Analyses)), 1);
    auto* atlas = w.findChild<kvwb::widgets::AtlasView*>();
    QVERIFY(atlas != nullptr && atlas->atlas() != nullptr);
    QCOMPARE(atlas->atlas()->analysis().capture, capture);
    QCOMPARE(atlas->atlas()->analysis().array("spearman").data, stored->array("spearman").data);

    // Reopening the project opens the stored atlas of the selected capture again.
    MainWindow again;
    QVERIFY(again.openProject(project));
    QVERIFY(again.findChild<kvwb::widgets::AtlasView*>() != nullptr);
  }

  void newAtlasKeepsTheChosenMetric() {
    QTemporaryDir dir;
    const auto demo = test::copyDemoProject(dir.path().toStdString());
    if (demo.empty()) QSKIP("datasets/demo.kvw is not in this checkout");
    MainWindow w;
    QVERIFY(w.openProject(QString::fromStdString(demo.string())));
    const auto& captures = w.projectModel().project()->captures();
    QVERIFY(captures.size() >= 2);
    auto* first = w.openAtlas(QString::fromStdString(captures[0].name));
    QVERIFY(first != nullptr);
    first->setMetric(kvwb::core::StructureScalar::Rank90);
    auto* second = w.openAtlas(QString::fromStdString(captures[1].name));
    QVERIFY(second != nullptr && second != first);
    QCOMPARE(second->metric(), kvwb::core::StructureScalar::Rank90);
  }

  void sessionEmitsWhatChanged() {
    const std::filesystem::path project = path("session.kvw");
    test::writeSyntheticDump(path("s1.safetensors"), 2, 2, 32, 8);
    test::importInto(project, path("s1.safetensors"));
    ProjectSession session;
    QSignalSpy opened(&session, &ProjectSession::projectOpened);
    QSignalSpy captures(&session, &ProjectSession::capturesChanged);
    QSignalSpy runs(&session, &ProjectSession::runsChanged);
    QSignalSpy analyses(&session, &ProjectSession::analysesChanged);
    session.open(project);
    QCOMPARE(opened.count(), 1);
    session.reload();  // nothing changed: nothing to follow
    QCOMPARE(captures.count() + runs.count() + analyses.count(), 0);

    test::writeSyntheticDump(path("s2.safetensors"), 2, 2, 32, 8);
    std::string imported;
    const int importJob = session.importDumps(
        {path("s2.safetensors")}, [&](const kvwb::core::CaptureInfo& c) { imported = c.name; });
    QCOMPARE(session.jobs().status(importJob).device, std::string("cpu"));
    QVERIFY(QTest::qWaitFor([&] { return !imported.empty(); }, 20000));
    QCOMPARE(imported, std::string("s2"));
    QCOMPARE(captures.count(), 1);
    QCOMPARE(analyses.count(), 0);

    bool analyzed = false;
    const int analyzeJob = session.analyze({"s1"}, [&] { analyzed = true; });
    QVERIFY(analyzeJob > 0 && session.analyzing());
    QCOMPARE(session.analyze({"s2"}, {}), -1);  // one analysis at a time
    QVERIFY(QTest::qWaitFor([&] { return analyzed; }, 60000));
    QCOMPARE(analyses.count(), 1);
    QCOMPARE(analyses.front().front().toStringList(), QStringList{QStringLiteral("s1")});
    QVERIFY(session.atlas("s1") != nullptr);
    QVERIFY(session.atlas("s2") == nullptr);
    QCOMPARE(session.atlases().size(), std::size_t{1});
    QVERIFY(QTest::qWaitFor([&] { return !session.analyzing(); }, 5000));

    test::sweepInto(project, test::quickSweepSpec());  // another process's edit
    session.reload();
    QCOMPARE(runs.count(), 1);
    QCOMPARE(captures.count(), 1);
    QCOMPARE(analyses.count(), 1);  // unchanged analyses are not re-loaded
    QCOMPARE(opened.count(), 1);
  }

  void openFailureShowsError() {
    MainWindow w;
    QVERIFY(!w.openProject(m_dir.filePath(QStringLiteral("missing.kvw"))));
    auto* box = w.findChild<QMessageBox*>();
    QVERIFY(box != nullptr);
    QVERIFY(box->text().contains(QStringLiteral("missing.kvw")));
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
