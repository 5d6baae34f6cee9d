// The sweep dialog: its default spec parses and plans (SVD ranks on every capture), edits reach
// spec() (targets, kinds, grids: one value fixed, several a grid), an invalid field disables Run
// and names the field, and the demo preset loads into a spec with the preset's methods and grids.
#include <QDialogButtonBox>
#include <QPushButton>
#include <QLineEdit>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <fstream>

#include "core/compress/sweep.h"
#include "test_fixture.h"
#include "widgets/sweep_dialog.h"

using kvwb::widgets::SweepDialog;
namespace test = kvwb::widgets::test;

// QCOMPARE cannot print JSON: compare, and show both sides when they differ.
#define JSON_COMPARE(actual, expected)                                                   \
  QVERIFY2(nlohmann::json(actual) == nlohmann::json(expected),                           \
           (nlohmann::json(actual).dump() + " != " + nlohmann::json(expected).dump()).c_str())

namespace {

// method -> parameter -> values, params and grid merged (how the dialog shows them).
std::map<std::string, std::map<std::string, nlohmann::json>> methodValues(const nlohmann::json& spec) {
  std::map<std::string, std::map<std::string, nlohmann::json>> out;
  for (const auto& m : spec["methods"]) {
    auto& values = out[m["method"].get<std::string>()];
    const auto params = m.value("params", nlohmann::json::object());
    const auto grid = m.value("grid", nlohmann::json::object());
    for (const auto& [k, v] : params.items()) values[k] = nlohmann::json::array({v});
    for (const auto& [k, v] : grid.items()) values[k] = v;
  }
  return out;
}

}  // namespace

class TestSweepDialog : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path m_project;

 private Q_SLOTS:
  void initTestCase() {
    m_project = std::filesystem::path(m_dir.filePath(QStringLiteral("s.kvw")).toStdString());
    const auto dump = m_project.parent_path() / "d.safetensors";
    test::writeSyntheticDump(dump, 2, 4, 128, 8);  // 64 tokens left after the 64 scored ones
    test::importInto(m_project, dump);
  }

  void defaultsPlan() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    const auto spec = dialog.spec();
    JSON_COMPARE(spec["captures"], nlohmann::json("all"));
    JSON_COMPARE(spec["methods"].size(), std::size_t{1});
    JSON_COMPARE(spec["methods"][0]["grid"]["rank"], nlohmann::json({1, 2, 4}));
    kvwb::core::parseSweepSpec(spec, "dialog");  // throws when invalid
    QCOMPARE(dialog.jobCount(), 3);
    QVERIFY2(dialog.summary().startsWith(QStringLiteral("3 jobs, 48 target fits")),
             qPrintable(dialog.summary()));
  }

  void editsReachSpec() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    dialog.findChild<QLineEdit*>(QStringLiteral("name"))->setText(QStringLiteral("mine"));
    auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("methods"));
    const auto items = tree->findItems(QStringLiteral("quant"), Qt::MatchExactly);
    QCOMPARE(items.size(), 1);
    items.front()->setCheckState(0, Qt::Checked);
    items.front()->child(0)->setText(1, QStringLiteral("2, 4, 8"));  // bits
    auto spec = dialog.spec();
    JSON_COMPARE(spec["name"], nlohmann::json("mine"));
    const auto values = methodValues(spec);
    JSON_COMPARE(values.at("quant").at("bits"), nlohmann::json({2, 4, 8}));
    JSON_COMPARE(spec["methods"][1]["params"]["axis"], nlohmann::json("kivi"));  // one value: fixed
    QCOMPARE(dialog.jobCount(), 3 + 3);

    auto* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QVERIFY(ok->isEnabled());
    auto* layers = dialog.findChild<QLineEdit*>(QStringLiteral("layers"));
    layers->setText(QStringLiteral("1"));
    spec = dialog.spec();
    JSON_COMPARE(spec["targets"]["layers"], nlohmann::json({1}));
    QVERIFY2(dialog.summary().startsWith(QStringLiteral("6 jobs, 48 target fits")), qPrintable(dialog.summary()));
    layers->setText(QStringLiteral("0, x"));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, dialog.spec());
    QCOMPARE(dialog.jobCount(), -1);
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.summary().startsWith(QStringLiteral("layers")));
  }

  void loadsPreset() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    QVERIFY(!SweepDialog::presetDirectory().isEmpty());
    QVERIFY(dialog.loadPreset(QStringLiteral("demo")));
    std::ifstream in((SweepDialog::presetDirectory() + QStringLiteral("/demo.json")).toStdString());
    const auto preset = nlohmann::json::parse(in);
    const auto spec = dialog.spec();
    JSON_COMPARE(spec["name"], preset["name"]);
    JSON_COMPARE(methodValues(spec), methodValues(preset));
    JSON_COMPARE(spec["seq_lengths"], preset["seq_lengths"]);
    JSON_COMPARE(spec["metrics"], preset["metrics"]);
    JSON_COMPARE(spec["targets"]["kinds"], preset["targets"]["kinds"]);
    JSON_COMPARE(spec["captures"], nlohmann::json("all"));  // no "tinystories" here: every capture
    QCOMPARE(dialog.jobCount(), -1);  // 448 tokens do not fit this capture's 128
    QVERIFY(dialog.summary().contains(QStringLiteral("448")));
  }
};

QTEST_MAIN(TestSweepDialog)
#include "test_sweep_dialog.moc"
