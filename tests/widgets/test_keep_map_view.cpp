// The keep-map view on real keep maps: the demo project swept with StreamingLLM, SnapKV and SVD,
// the eviction jobs fitted again by core::jobKeepMap in the fixture. The data layer's rows, shares
// and attention charts; the view's text highlights exactly the selected target's kept tokens (the
// mean by the share of targets), the target chooser and a click on a map row select the same
// target (its attention plotted, its row named); as a job of a JobRunner it fits, refuses an SVD
// job naming the project, and cancels; from the main window, Analysis → What Is Kept… offers the
// eviction jobs only and opens the Keep map tab.
#include <QAction>
#include <QComboBox>
#include <QInputDialog>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <algorithm>

#include "app/main_window.h"
#include "test_fixture.h"
#include "widgets/job_runner.h"
#include "widgets/keep_map_data.h"
#include "widgets/keep_map_view.h"
#include "widgets/plots/keep_map_plot.h"
#include "widgets/plots/qcustomplot_include.h"

using namespace kvwb;
using widgets::KeepMapView;
namespace test = widgets::test;

namespace {

constexpr int kTokens = 128;
constexpr int kTargets = 16;  // 2 layers x 4 heads x K, V

bool isWhite(const QColor& c) { return c == QColor(Qt::white); }

}  // namespace

class TestKeepMapView : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path m_project;
  std::string m_streaming, m_snapkv, m_svd;  // job keys
  core::JobKeepMap m_map;                   // the streaming job's
  widgets::JobRunner m_runner{1};

  void showOn(KeepMapView& view) {
    view.resize(1200, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setKeepMap(m_map);
    QTest::qWait(50);  // the plot lays out
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_project = test::copyDemoProject(m_dir.path().toStdString());
    if (m_project.empty()) QSKIP("datasets/demo.kvw is not in the checkout");
    // Built as JSON values: moc (Qt 6.4) loses its way in multi-line raw strings.
    using nlohmann::json;
    json spec = {{"name", "keep"},
                 {"captures", {"tinystories"}},
                 {"seq_lengths", {kTokens}},
                 {"methods", json::array({{{"method", "streaming"}, {"grid", {{"keep_ratio", {0.25}}}}},
                                          {{"method", "snapkv"}, {"grid", {{"keep_ratio", {0.25}}}}},
                                          {{"method", "svd"}, {"grid", {{"rank", {1}}}}}})},
                 {"device", "cpu"}};
    spec["targets"]["layers"] = {0, 3};
    spec["metrics"] = {{"attention", false}, {"delta_ppl", "none"}, {"quality", "none"}};
    test::sweepInto(m_project, spec);
    const auto project = core::Project::open(m_project);
    for (const auto& c : widgets::damageJobChoices(project, project.runs()))
      (c.method == "streaming" ? m_streaming : c.method == "snapkv" ? m_snapkv : m_svd) = c.key;
    QVERIFY(!m_streaming.empty() && !m_snapkv.empty() && !m_svd.empty());
    core::JobContext ctx;
    m_map = core::jobKeepMap(project, m_streaming, "cpu", ctx);
    QCOMPARE(m_map.targets.size(), std::size_t{kTargets});
  }

  void chooserOffersEvictionJobsOnly() {
    const auto project = core::Project::open(m_project);
    const auto choices = widgets::keepMapJobChoices(project, project.runs());
    QCOMPARE(choices.size(), std::size_t{2});
    for (const auto& c : choices) QVERIFY(c.method == "streaming" || c.method == "snapkv");
  }

  void rowsAreKThenAGapThenV() {
    const auto chart = widgets::keepMapChart(m_map);
    QCOMPARE(chart.tokens, kTokens);
    QCOMPARE(chart.rows.size(), std::size_t{kTargets + 1});
    for (std::size_t r = 0; r < chart.rows.size(); ++r) {
      const auto& row = chart.rows[r];
      if (r == kTargets / 2) {  // the gap
        QCOMPARE(row.id, -1);
        QVERIFY(row.kept.empty());
        continue;
      }
      const auto& t = m_map.targets[static_cast<std::size_t>(row.id)];
      QCOMPARE(row.kept, t.kept);
      QCOMPARE(QString::fromStdString(row.label), widgets::targetLabel(t));
      QCOMPARE(!row.shortLabel.empty(), t.head == 0);  // a layer's first head names the layer
    }
    QCOMPARE(QString::fromStdString(chart.rows.front().label), QStringLiteral("K L0·H0"));
    QCOMPARE(QString::fromStdString(chart.rows.back().label), QStringLiteral("V L3·H3"));
  }

  void sharesAndAttentionCharts() {
    // StreamingLLM: 4 sinks and the 28 most recent tokens, in every target.
    const auto shares = widgets::keptShares(m_map);
    for (int j = 0; j < kTokens; ++j)
      QCOMPARE(shares[static_cast<std::size_t>(j)], (j < 4 || j >= kTokens - 28) ? 1.0 : 0.0);
    const auto mean = widgets::keepAttentionChart(m_map, -1);
    QCOMPARE(mean.values.size(), std::size_t{kTokens});
    for (int j = 0; j < kTokens; ++j)
      QCOMPARE(mean.highlighted[static_cast<std::size_t>(j)] != 0, shares[static_cast<std::size_t>(j)] == 1.0);
    const auto one = widgets::keepAttentionChart(m_map, 5);
    QCOMPARE(one.highlighted, m_map.targets[5].kept);
    for (int j = 0; j < kTokens; ++j)
      QCOMPARE(one.values[static_cast<std::size_t>(j)], double{m_map.targets[5].attention[static_cast<std::size_t>(j)]});
    QVERIFY(QString::fromStdString(one.title).contains(widgets::targetLabel(m_map.targets[5])));
  }

  void textHighlightsTheSelectedTargetsKeptTokens() {
    KeepMapView view(m_runner);
    showOn(view);
    QCOMPARE(view.selectedTarget(), -1);  // the mean first
    QCOMPARE(view.tokens().size(), std::size_t{kTokens});
    QVERIFY(view.textView()->toPlainText().startsWith(QStringLiteral("<s>")));
    QVERIFY(view.findChild<QLabel*>(QStringLiteral("title"))->text().startsWith(QStringLiteral("What is kept: streaming")));
    view.selectTarget(3);
    QCOMPARE(view.targetBox()->currentText(), widgets::targetLabel(m_map.targets[3]));
    QVERIFY2(view.targetText().contains(QStringLiteral("32 of 128 tokens kept")), qPrintable(view.targetText()));
    QVERIFY2(view.targetText().contains(QStringLiteral("sinks 4 · recent 28")), qPrintable(view.targetText()));
    for (int j = 0; j < kTokens; ++j) {
      const bool kept = m_map.targets[3].kept[static_cast<std::size_t>(j)] != 0;
      const QColor background = view.tokenBackground(j);
      QVERIFY2(kept != isWhite(background), qPrintable(QStringLiteral("token %1").arg(j)));
      if (kept) QVERIFY(background.blue() > background.red());  // the kept blue's tint
    }
    // The plot follows: the target's row outlined and named, its attention shown.
    const auto& rows = view.plot()->map().rows;
    QCOMPARE(rows[static_cast<std::size_t>(view.plot()->selectedRow())].id, 3);
    QCOMPARE(view.plot()->attention().highlighted, m_map.targets[3].kept);
    const auto right = view.plot()->canvas()->axisRect()->axis(QCPAxis::atRight)->ticker();
    QVERIFY(qSharedPointerCast<QCPAxisTickerText>(right)->ticks().values().contains(
        QStringLiteral("◀ ") + widgets::targetLabel(m_map.targets[3])));
    view.targetBox()->setCurrentIndex(0);  // back to the mean
    QCOMPARE(view.selectedTarget(), -1);
    QCOMPARE(view.plot()->selectedRow(), -1);
  }

  void clickingARowSelectsItsTarget() {
    KeepMapView view(m_runner);
    showOn(view);
    const auto& rows = view.plot()->map().rows;
    const auto row = static_cast<int>(std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.label == "V L3·H1"; }) -
                                      rows.begin());
    QVERIFY(row < static_cast<int>(rows.size()));
    QVERIFY(!view.plot()->rowTickLabels().isEmpty());  // some rows named at the left
    QTest::mouseClick(view.plot()->canvas(), Qt::LeftButton, {}, view.plot()->rowPosition(row));
    QCOMPARE(view.selectedTarget(), rows[static_cast<std::size_t>(row)].id);
    QCOMPARE(view.targetBox()->currentText(), QStringLiteral("V L3·H1"));
    QVERIFY(view.targetText().startsWith(QStringLiteral("V L3·H1:")));
    // The gap between K and V selects nothing.
    QTest::mouseClick(view.plot()->canvas(), Qt::LeftButton, {}, view.plot()->rowPosition(kTargets / 2));
    QCOMPARE(view.selectedTarget(), rows[static_cast<std::size_t>(row)].id);
  }

  void fitsAsJobRefusesSvdAndCancels() {
    widgets::JobRunner runner(1);
    KeepMapView view(runner);
    QSignalSpy shown(&view, &KeepMapView::keepMapShown);
    QSignalSpy failed(&view, &KeepMapView::failed);
    view.setDevice("cpu");
    QVERIFY(view.showJob(m_project, m_snapkv.substr(0, 6)) > 0);
    QVERIFY(view.busy());
    QVERIFY(shown.wait(60000));
    QCOMPARE(view.keepMap()->job, m_snapkv);
    QCOMPARE(view.keepMap()->method, std::string("snapkv"));
    QCOMPARE(view.tokens().size(), std::size_t{kTokens});

    view.showJob(m_project, m_svd);
    QVERIFY(failed.wait(30000));
    const QString message = failed.front().front().toString();
    QVERIFY2(message.contains(QStringLiteral("demo.kvw")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("keeps every token")), qPrintable(message));

    const int cancelled = view.showJob(m_project, m_streaming);
    runner.cancel(cancelled);
    QVERIFY(QTest::qWaitFor([&] { return runner.status(cancelled).state != widgets::JobState::Running; }, 60000));
    QVERIFY(runner.status(cancelled).state != widgets::JobState::Failed);
    QCOMPARE(view.keepMap()->job, runner.status(cancelled).state == widgets::JobState::Cancelled ? m_snapkv : m_streaming);
  }

  void mainWindowMenuOpensTheKeepMapTab() {
    app::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));
    auto* action = w.findChild<QAction*>(QStringLiteral("keepMapAction"));
    QVERIFY(action && action->isEnabled());
    action->trigger();
    auto* dialog = w.findChild<QInputDialog*>(QStringLiteral("keepMapJobDialog"));
    QVERIFY(dialog);
    QCOMPARE(dialog->comboBoxItems().size(), 2);  // the eviction jobs
    const auto snapkv = std::find_if(dialog->comboBoxItems().begin(), dialog->comboBoxItems().end(),
                                     [](const QString& s) { return s.startsWith(QStringLiteral("snapkv")); });
    QVERIFY(snapkv != dialog->comboBoxItems().end());
    dialog->setTextValue(*snapkv);
    dialog->accept();
    auto* view = w.findChild<KeepMapView*>(QStringLiteral("keepMap"));
    QVERIFY(view);
    QCOMPARE(w.findChild<QTabWidget*>(QStringLiteral("centralTabs"))->currentWidget(), view);
    QVERIFY(QTest::qWaitFor([&] { return view->keepMap() != nullptr; }, 60000));
    QCOMPARE(view->keepMap()->job, m_snapkv);
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));  // a project's tabs close
    QTest::qWait(20);
    QVERIFY(w.findChild<KeepMapView*>(QStringLiteral("keepMap")) == nullptr);
  }
};

QTEST_MAIN(TestKeepMapView)
#include "test_keep_map_view.moc"
