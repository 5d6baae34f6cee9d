// The extraction dialog offers the bundled model and prompt texts, a capture name the project does
// not have yet, and builds the right options; the main window runs the extraction of the real
// model as a job and lists the new capture, which records the model (outside the project) by its
// absolute path.
#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <nlohmann/json.hpp>

#include "app/main_window.h"
#include "core/project/project.h"
#include "test_fixture.h"
#include "widgets/extract_dialog.h"

using kvwb::app::MainWindow;
using kvwb::widgets::ExtractDialog;
using kvwb::widgets::JobState;
namespace test = kvwb::widgets::test;

class TestExtractDialog : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void defaultsAreTheBundledModelAndTexts() {
    ExtractDialog dialog;
    QVERIFY(dialog.modelEdit()->text().endsWith(QStringLiteral("datasets/stories260K-hf")));
    QCOMPARE(dialog.textCombo()->count(), 5);  // code, conversation, fiction, technical, tinystories
    dialog.textCombo()->setCurrentIndex(dialog.textCombo()->findText(QStringLiteral("fiction")));
    dialog.tokensSpin()->setValue(128);
    const auto o = dialog.options();
    QCOMPARE(QString::fromStdString(o.textFile.filename().string()), QStringLiteral("fiction.txt"));
    QCOMPARE(o.tokens, 128);
    QCOMPARE(QString::fromStdString(o.captureName), QStringLiteral("fiction"));
    QCOMPARE(QString::fromStdString(o.promptLabel), QStringLiteral("fiction"));
  }

  void defaultNameIsFree() {
    ExtractDialog dialog({"code", "code-2", "fiction"});
    dialog.textCombo()->setCurrentIndex(dialog.textCombo()->findText(QStringLiteral("code")));
    QCOMPARE(QString::fromStdString(dialog.options().captureName), QStringLiteral("code-3"));
    QCOMPARE(QString::fromStdString(dialog.options().promptLabel), QStringLiteral("code"));
    dialog.textCombo()->setCurrentIndex(dialog.textCombo()->findText(QStringLiteral("technical")));
    QCOMPARE(QString::fromStdString(dialog.options().captureName), QStringLiteral("technical"));
  }

  void mainWindowExtractsTheRealModel() {
    QTemporaryDir dir;
    const QString project = dir.filePath(QStringLiteral("x.kvw"));
    kvwb::core::Project::create(project.toStdString());
    MainWindow w;
    QVERIFY(w.openProject(project));
    ExtractDialog dialog;
    dialog.tokensSpin()->setValue(96);
    auto options = dialog.options();
    options.device = "cpu";
    const int id = w.startExtraction(options);
    QVERIFY(id > 0);
    QVERIFY(QTest::qWaitFor([&] { return w.jobRunner().status(id).state != JobState::Running; }, 60000));
    QCOMPARE(w.jobRunner().status(id).state, JobState::Succeeded);
    const auto p = kvwb::core::Project::open(project.toStdString());
    QCOMPARE(p.captures().size(), std::size_t{1});
    QCOMPARE(p.captures()[0].tokens, 96);
    QVERIFY(p.captures()[0].hasQueries);
    // The model lies outside the project's folder: the capture records it absolute.
    const auto meta = nlohmann::json::parse(p.captures()[0].metadataJson);
    QVERIFY(std::filesystem::path(meta["model"].get<std::string>()).is_absolute());
    QCOMPARE(kvwb::core::captureModelPath(project.toStdString(), p.captures()[0].metadataJson),
             std::filesystem::absolute(options.model).lexically_normal());
  }
};

QTEST_MAIN(TestExtractDialog)
#include "test_extract_dialog.moc"
