// ProjectModel on real project files, checked by QAbstractItemModelTester through resets; a
// re-read reports what changed and updates runs whose results grew in place.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "test_fixture.h"
#include "widgets/project_model.h"

using kvwb::widgets::ProjectModel;
namespace test = kvwb::widgets::test;

class TestProjectModel : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path path(const char* name) const {
    return std::filesystem::path(m_dir.filePath(QString::fromLatin1(name)).toStdString());
  }

 private Q_SLOTS:
  void emptyModelHasNoRows() {
    ProjectModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.groupIndex(ProjectModel::Captures).isValid());
  }

  void listsCapturesAndReloads() {
    const auto project = path("synthetic.kvw");
    test::writeSyntheticDump(path("alpha.safetensors"), 2, 3, 16, 4);
    test::writeSyntheticDump(path("beta.safetensors"), 1, 2, 8, 4);
    test::importInto(project, path("alpha.safetensors"));

    ProjectModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setProject(kvwb::core::Project::open(project));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("Captures"));
    QCOMPARE(model.index(1, 0).data().toString(), QStringLiteral("Analyses"));
    QCOMPARE(model.index(2, 0).data().toString(), QStringLiteral("Runs"));
    const QModelIndex captures = model.groupIndex(ProjectModel::Captures);
    QCOMPARE(model.rowCount(captures), 1);
    const QModelIndex alpha = model.index(0, ProjectModel::NameColumn, captures);
    QCOMPARE(alpha.data().toString(), QStringLiteral("alpha"));
    QCOMPARE(model.index(0, ProjectModel::DetailsColumn, captures).data().toString(),
             QStringLiteral("2×3×16×4, float32"));
    QCOMPARE(alpha.parent(), captures);
    QVERIFY(model.captureAt(alpha) != nullptr);
    QCOMPARE(model.captureAt(alpha)->tokens, 16);
    QVERIFY(model.captureAt(captures) == nullptr);
    QVERIFY(model.runAt(alpha) == nullptr);
    QCOMPARE(model.rowCount(model.groupIndex(ProjectModel::Runs)), 0);

    test::importInto(project, path("beta.safetensors"));
    model.reload();
    QCOMPARE(model.rowCount(model.groupIndex(ProjectModel::Captures)), 2);
    QCOMPARE(model.index(1, 0, model.groupIndex(ProjectModel::Captures)).data().toString(),
             QStringLiteral("beta"));

    model.clear();
    QCOMPARE(model.rowCount(), 0);
  }

  void reloadReportsChanges() {
    const auto project = path("changes.kvw");
    test::writeSyntheticDump(path("gamma.safetensors"), 2, 2, 16, 4);
    test::importInto(project, path("gamma.safetensors"));
    ProjectModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto changes = model.setProject(kvwb::core::Project::open(project));
    QVERIFY(changes.project && changes.captures && changes.analyses && changes.runs);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy updates(&model, &QAbstractItemModel::dataChanged);

    changes = model.reload();  // nothing changed
    QVERIFY(!changes.project && !changes.captures && !changes.analyses && !changes.runs);
    QCOMPARE(resets.count(), 0);

    auto spec = test::quickSweepSpec();
    spec["methods"] = nlohmann::json::array({spec["methods"][0]});  // svd ranks 1, 2
    test::sweepInto(project, spec);
    changes = model.reload();  // a new run: the tree resets
    QVERIFY(changes.runs && !changes.captures && !changes.analyses);
    QCOMPARE(resets.count(), 1);
    const QModelIndex run = model.find(ProjectModel::Runs, QStringLiteral("quick.gamma.svd"));
    QVERIFY(run.isValid());
    const auto before = model.runAt(run)->resultCount;

    spec["methods"][0]["grid"]["rank"] = {1, 2, 3};  // more results in the same run
    test::sweepInto(project, spec);
    changes = model.reload();
    QVERIFY(changes.runs && !changes.captures);
    QCOMPARE(resets.count(), 1);  // updated in place: a view keeps its selection
    QVERIFY(updates.count() >= 1);
    QVERIFY(model.runAt(run)->resultCount > before);
    QVERIFY(!model.find(ProjectModel::Captures, QStringLiteral("missing")).isValid());
  }

  void showsRealDump() {
    const auto dump = test::makeRealDump(path("real"));
    if (dump.empty()) QSKIP("needs /usr/bin/python3 with numpy, h5py, torch");
    const auto project = path("real.kvw");
    test::importInto(project, dump);
    ProjectModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setProject(kvwb::core::Project::open(project));
    const QModelIndex captures = model.groupIndex(ProjectModel::Captures);
    QCOMPARE(model.rowCount(captures), 1);
    const auto* capture = model.captureAt(model.index(0, 0, captures));
    QVERIFY(capture != nullptr);
    QCOMPARE(capture->name, std::string("hf_cache"));
    QVERIFY(capture->hasQueries);
    QCOMPARE(model.index(0, 1, captures).data().toString(), ProjectModel::shapeText(*capture));
    QVERIFY(
        model.index(0, 1, captures).data().toString().endsWith(QStringLiteral("×64×8, float32")));
  }
};

QTEST_MAIN(TestProjectModel)
#include "test_project_model.moc"
