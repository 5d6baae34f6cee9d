// ProjectModel on real project files, checked by QAbstractItemModelTester through resets.
#include <QAbstractItemModelTester>
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

  void showsRealDump() {
    const auto dump = test::makeRealDump(path("real"));
    if (dump.empty()) QSKIP("no ../shared/models/stories260K-hf");
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
