// The sweep dialog: one method row per registered method descriptor with a row per declared
// parameter (default grid, default, doc), its default spec parses and plans (SVD ranks on every
// capture) with a size estimate from the descriptors' byte counts, edits reach spec() (targets,
// kinds, grids: one value fixed, several a grid), an invalid field or parameter disables Run and
// shows the message core::validateParams gives, and the demo preset loads into a spec with the
// preset's methods and grids.
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <fstream>

#include "core/compress/method_descriptor.h"
#include "core/sweep/sweep.h"
#include "test_fixture.h"
#include "widgets/sweep_dialog.h"

using kvwb::widgets::SweepDialog;
namespace test = kvwb::widgets::test;

// QCOMPARE cannot print JSON: compare, and show both sides when they differ.
#define JSON_COMPARE(actual, expected)                                                   \
  QVERIFY2(nlohmann::json(actual) == nlohmann::json(expected),                           \
           (nlohmann::json(actual).dump() + " != " + nlohmann::json(expected).dump()).c_str())

namespace {

// Per method entry, in order: its name and parameter -> values, params and grid merged (how the
// dialog shows them; a method may be listed more than once).
nlohmann::json methodValues(const nlohmann::json& spec) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : spec["methods"]) {
    nlohmann::json values = nlohmann::json::object();
    const auto params = m.value("params", nlohmann::json::object());
    const auto grid = m.value("grid", nlohmann::json::object());
    for (const auto& [k, v] : params.items()) values[k] = nlohmann::json::array({v});
    for (const auto& [k, v] : grid.items()) values[k] = v;
    out.push_back({m["method"], values});
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

  void methodRowsFromDescriptors() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("methods"));
    std::vector<const kvwb::core::MethodDescriptor*> methods;  // the dialog offers what is not generated
    for (const auto* m : kvwb::core::methodDescriptors())
      if (!m->generated) methods.push_back(m);
    QCOMPARE(tree->topLevelItemCount(), int(methods.size()));
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
      const QTreeWidgetItem* item = tree->topLevelItem(i);
      const kvwb::core::MethodDescriptor& d = *methods[std::size_t(i)];
      QCOMPARE(item->text(0).toStdString(), d.name);
      QCOMPARE(item->checkState(0), i == 0 ? Qt::Checked : Qt::Unchecked);
      QVERIFY(item->toolTip(0).contains(QString::fromStdString(d.doc)));
      QCOMPARE(item->childCount(), int(d.params.size()));
      for (int p = 0; p < item->childCount(); ++p) {
        const QTreeWidgetItem* row = item->child(p);
        const kvwb::core::ParamSpec& spec = d.params[std::size_t(p)];
        QCOMPARE(row->text(0).toStdString(), spec.name);
        QVERIFY(row->toolTip(1).contains(QString::fromStdString(spec.doc)));
        QVERIFY(row->toolTip(1).contains(QString::fromUtf8(kvwb::core::paramTypeName(spec.type))));
        if (spec.defaultValue.is_string())
          QCOMPARE(row->text(2).toStdString(), spec.defaultValue.get<std::string>());
        else if (!spec.defaultValue.is_null())
          QCOMPARE(row->text(2).toStdString(), spec.defaultValue.dump());
        // The default grid's values, or nothing: the method's default applies.
        nlohmann::json values = nlohmann::json::array();
        for (const QString& v : row->text(1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
          const auto value = nlohmann::json::parse(v.trimmed().toStdString(), nullptr, false);
          values.push_back(value.is_discarded() ? nlohmann::json(v.trimmed().toStdString())
                                                : value);
        }
        if (d.defaultGrid.contains(spec.name) && spec.type != kvwb::core::ParamType::Method)
          JSON_COMPARE(values, d.defaultGrid[spec.name]);
        else if (!d.defaultGrid.contains(spec.name))
          QVERIFY(values.empty());
      }
    }
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
    // The size from the SVD descriptor's byte count: 16 targets of 64 tokens x 8 dims per rank.
    const auto& svd = kvwb::core::methodDescriptor("svd");
    const kvwb::core::TargetShape shape{64, 8};
    double bytes = 0;
    for (int rank : {1, 2, 4})
      bytes += 16 * kvwb::core::estimateBytes(svd, {{"rank", rank}}, shape);
    const double raw = 48 * shape.rawFloat16Bytes();
    QVERIFY2(dialog.summary().contains(
                 QStringLiteral("for 49.2 kB of float16 (%1×)").arg(raw / bytes, 0, 'g', 3)),
             qPrintable(dialog.summary()));
    // The time: first the methods are timed on the device in the background, then the estimate
    // from those speeds (checked against a real run in core's test_sweep).
    QVERIFY2(dialog.summary().contains(QStringLiteral("timing the methods on")),
             qPrintable(dialog.summary()));
    QVERIFY(QTest::qWaitFor([&] { return !dialog.timing(); }, 120000));
    QVERIFY2(dialog.summary().contains(QStringLiteral("(from the methods timed on it)")),
             qPrintable(dialog.summary()));
  }

  // A value the method's declaration rejects: the dialog shows core::validateParams' message.
  void invalidParameterShowsValidateParamsMessage() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    auto* tree = dialog.findChild<QTreeWidget*>(QStringLiteral("methods"));
    auto* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    const auto& svd = kvwb::core::methodDescriptor("svd");
    tree->topLevelItem(0)->child(0)->setText(1, QStringLiteral("0, 2"));  // rank 0: out of range
    std::string message;
    try {
      kvwb::core::validateParams(svd, {{"rank", 0}});
    } catch (const kvwb::core::ParamError& e) {
      message = e.what();
    }
    QVERIFY(!message.empty());
    QVERIFY2(dialog.summary().contains(QString::fromStdString(message)),
             qPrintable(dialog.summary()));
    QCOMPARE(dialog.jobCount(), -1);
    QVERIFY(!ok->isEnabled());

    // A misspelt key from a spec keeps its row, and the message suggests the declared one.
    dialog.setSpec({{"methods", {{{"method", "siren"}, {"params", {{"epoch", 300}}}}}}});
    try {
      kvwb::core::validateParams(kvwb::core::methodDescriptor("siren"), {{"epoch", 300}});
    } catch (const kvwb::core::ParamError& e) {
      message = e.what();
    }
    QVERIFY2(dialog.summary().contains(QString::fromStdString(message)),
             qPrintable(dialog.summary()));
    QVERIFY(dialog.summary().contains(QStringLiteral("epochs")));
    QVERIFY(!ok->isEnabled());
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
    JSON_COMPARE(values.at(1).at(0), nlohmann::json("quant"));
    JSON_COMPARE(values.at(1).at(1).at("bits"), nlohmann::json({2, 4, 8}));
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
    for (std::size_t i = 0; i < preset["methods"].size(); ++i)  // SIREN's own quality windows
      JSON_COMPARE(spec["methods"][i].value("quality", nlohmann::json()), preset["methods"][i].value("quality", nlohmann::json()));
    JSON_COMPARE(spec["targets"]["kinds"], preset["targets"]["kinds"]);
    JSON_COMPARE(spec["captures"], nlohmann::json("all"));  // no "tinystories" here: every capture
    QCOMPARE(dialog.jobCount(), -1);  // 448 tokens do not fit this capture's 128
    QVERIFY(dialog.summary().contains(QStringLiteral("448")));
  }

  // Every preset (eviction, families: a method listed several times, nested method parameters)
  // reaches the spec as written.
  void everyPresetRoundTrips() {
    SweepDialog dialog(kvwb::core::Project::open(m_project));
    const QDir dir(SweepDialog::presetDirectory());
    const auto files = dir.entryList({QStringLiteral("*.json")}, QDir::Files);
    QVERIFY(files.contains(QStringLiteral("families.json")));
    for (const QString& file : files) {
      const QString name = QFileInfo(file).completeBaseName();
      QVERIFY2(dialog.loadPreset(name), qPrintable(name));
      std::ifstream in(dir.filePath(file).toStdString());
      const auto preset = nlohmann::json::parse(in);
      JSON_COMPARE(methodValues(dialog.spec()), methodValues(preset));
    }
  }
};

QTEST_MAIN(TestSweepDialog)
#include "test_sweep_dialog.moc"
