// The damage view on a real JobDamage: the demo project swept once with 2 quality windows, the
// job measured once by core::jobDamage in the fixture. Every scored token is in the text in order,
// shading follows the values (the worst token darkest), a click shows a token's top-5 lists, the
// mode switch recolours, the worst-tokens list selects and scrolls, the figure exports as PNG, SVG
// and PDF; as a job of a JobRunner it measures, fails naming the project, and cancels; from the
// main window, Analysis → Which Tokens Are Hurt… preselects the job clicked in the Results view.
#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QInputDialog>
#include <QLabel>
#include <QPainter>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTreeWidget>
#include <algorithm>

#include "app/main_window.h"
#include "test_fixture.h"
#include "widgets/damage_view.h"
#include "widgets/job_runner.h"
#include "widgets/results_view.h"

using namespace kvwb;
using widgets::DamageMode;
using widgets::DamageView;
namespace test = widgets::test;

namespace {

double luminance(const QColor& c) {
  return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF();
}

}  // namespace

class TestDamageView : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::filesystem::path m_project;
  std::string m_job;  // the svd job (quality measured)
  core::JobDamage m_damage;
  widgets::JobRunner m_runner{1};

  // Every (window, index) with its value in `mode`.
  std::vector<std::pair<std::pair<int, int>, double>> values(DamageMode mode) const {
    std::vector<std::pair<std::pair<int, int>, double>> out;
    for (std::size_t w = 0; w < m_damage.windows.size(); ++w)
      for (std::size_t i = 0; i < m_damage.windows[w].tokens.size(); ++i)
        out.push_back({{static_cast<int>(w), static_cast<int>(i)},
                       widgets::damageValue(m_damage.windows[w].tokens[i], mode)});
    return out;
  }

  void showOn(DamageView& view) {
    view.resize(1200, 800);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setDamage(m_damage);
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    m_project = test::copyDemoProject(m_dir.path().toStdString());
    if (m_project.empty()) QSKIP("datasets/demo.kvw is not in the checkout");
    // Built as JSON values: moc (Qt 6.4) loses its way in multi-line raw strings.
    using nlohmann::json;
    json measured = {{"name", "dmg"},
                     {"captures", {"tinystories"}},
                     {"seq_lengths", {448}},
                     {"methods", json::array({{{"method", "svd"}, {"grid", {{"rank", {2}}}}}})},
                     {"device", "cpu"}};
    measured["metrics"]["quality"] = {{"windows", 2}, {"continuation", 32}, {"greedy", 0}};
    test::sweepInto(m_project, measured);
    json plain = {{"name", "plain"},
                  {"captures", {"tinystories"}},
                  {"seq_lengths", {256}},
                  {"methods", json::array({{{"method", "svd"}, {"grid", {{"rank", {1}}}}}})},
                  {"device", "cpu"}};
    plain["targets"]["layers"] = {0};
    plain["metrics"]["quality"] = "none";
    test::sweepInto(m_project, plain);
    const auto project = core::Project::open(m_project);
    const auto choices = widgets::damageJobChoices(project, project.runs());
    QCOMPARE(choices.size(), std::size_t{2});
    QVERIFY(choices[0].measured);  // the measured job first
    QVERIFY(!choices[1].measured);
    QVERIFY(choices[0].label.startsWith(QStringLiteral("svd rank=2")));
    QVERIFY(choices[0].label.contains(QString::fromStdString(choices[0].key.substr(0, 8))));
    m_job = choices[0].key;
    core::JobContext ctx;
    m_damage = core::jobDamage(project, m_job.substr(0, 8), "cpu", ctx);
    QCOMPARE(m_damage.windows.size(), std::size_t{2});
    QCOMPARE(m_damage.windows[0].tokens.size(), std::size_t{32});
  }

  void everyTokenInOrder() {
    DamageView view(m_runner);
    showOn(view);
    QCOMPARE(view.spans().size(), std::size_t{64});
    int last = -1;
    for (std::size_t w = 0; w < m_damage.windows.size(); ++w)
      for (std::size_t i = 0; i < m_damage.windows[w].tokens.size(); ++i) {
        const int wi = static_cast<int>(w), ii = static_cast<int>(i);
        QCOMPARE(view.tokenText(wi, ii), widgets::displayText(m_damage.windows[w].tokens[i].text));
        const auto span =
            std::find_if(view.spans().begin(), view.spans().end(),
                         [&](const auto& s) { return s.window == wi && s.index == ii; });
        QVERIFY(span->start > last);
        last = span->start;
      }
    // Each window's context comes before its tokens, in grey.
    const QString text = view.textView()->toPlainText();
    QVERIFY(text.contains(QStringLiteral("Window 1")));
    QVERIFY(text.contains(QStringLiteral("Window 2")));
    QVERIFY(view.findChild<QLabel*>(QStringLiteral("stats"))
                ->text()
                .contains(QStringLiteral("64 scored tokens")));
  }

  void shadingFollowsValues() {
    DamageView view(m_runner);
    showOn(view);
    auto all = values(DamageMode::Kl);
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    double previous = 2;
    for (const auto& [token, value] : all) {  // higher value, darker (or as dark)
      const double l = luminance(view.tokenColour(token.first, token.second));
      QVERIFY2(l <= previous + 1e-9, qPrintable(QStringLiteral("KL %1").arg(value)));
      previous = l;
    }
    const auto worst = core::worstTokens(m_damage, 1).front();
    const QColor darkest = view.tokenColour(worst->window, worst->position - m_damage.prefix);
    QVERIFY(luminance(darkest) < 0.3);  // the scale's dark end
    QVERIFY(luminance(view.tokenColour(all.front().first.first, all.front().first.second)) > 0.9);
  }

  void clickShowsTopLists() {
    DamageView view(m_runner);
    showOn(view);
    view.setShownWindow(1);
    QTest::qWait(50);
    const int index = 5;
    const QRect at = view.tokenRect(1, index);
    QVERIFY(view.textView()->viewport()->rect().contains(at.center()));
    QTest::mouseClick(view.textView()->viewport(), Qt::LeftButton, {}, at.center());
    QVERIFY(view.selectedToken().has_value());
    QCOMPARE(*view.selectedToken(), std::make_pair(1, index));
    const auto& token = m_damage.windows[1].tokens[index];
    const QString details = view.detailsView()->toPlainText();
    QCOMPARE(token.topBase.size(), std::size_t{5});
    QCOMPARE(token.topCompressed.size(), std::size_t{5});
    for (const auto* top : {&token.topBase, &token.topCompressed})
      for (const auto& r : *top) {
        QVERIFY2(details.contains(QString::number(r.prob, 'f', 3)), qPrintable(details));
        QVERIFY2(details.contains(QString::fromStdString(r.text).trimmed()), qPrintable(details));
      }
    QVERIFY(details.contains(QStringLiteral("without → with compression")));
    QVERIFY(details.contains(QString::number(token.quality.kl, 'f', 4)));
  }

  void modeSwitchRecolours() {
    DamageView view(m_runner);
    showOn(view);
    std::vector<QColor> kl;
    for (const auto& [token, value] : values(DamageMode::Kl))
      kl.push_back(view.tokenColour(token.first, token.second));
    auto* box = view.findChild<QComboBox*>(QStringLiteral("modeBox"));
    box->setCurrentIndex(1);
    QCOMPARE(view.mode(), DamageMode::DeltaNll);
    int changed = 0;
    std::size_t k = 0;
    const auto nll = values(DamageMode::DeltaNll);
    for (const auto& [token, value] : nll)
      changed += view.tokenColour(token.first, token.second) != kl[k++];
    QVERIFY(changed > 0);
    const auto worst = *std::max_element(
        nll.begin(), nll.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (const auto& [token, value] : nll)
      QVERIFY(luminance(view.tokenColour(worst.first.first, worst.first.second)) <=
              luminance(view.tokenColour(token.first, token.second)) + 1e-9);
    // A token the compressed cache made likelier is blue, not red.
    const auto helped = std::min_element(
        nll.begin(), nll.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    if (helped->second < -1e-3) {
      const QColor c = view.tokenColour(helped->first.first, helped->first.second);
      QVERIFY(c.blue() > c.red());
    }
    QCOMPARE(view.worstList()->topLevelItem(0)->data(0, Qt::UserRole).toInt(), worst.first.first);
    QCOMPARE(view.worstList()->topLevelItem(0)->data(0, Qt::UserRole + 1).toInt(),
             worst.first.second);
  }

  void worstListSelectsAndScrolls() {
    DamageView view(m_runner);
    view.resize(900, 400);  // the text scrolls
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setDamage(m_damage);
    QTest::qWait(50);
    const auto worst = core::worstTokens(m_damage, DamageView::kWorstShown);
    QCOMPARE(view.worstList()->topLevelItemCount(), static_cast<int>(worst.size()));
    for (const int row : {2, static_cast<int>(worst.size()) - 1}) {
      const auto* token = worst[static_cast<std::size_t>(row)];
      const int index = token->position - m_damage.prefix;
      QCOMPARE(view.worstList()->topLevelItem(row)->text(2),
               QString::fromStdString(token->text).replace(QLatin1Char('\n'), QStringLiteral("⏎")));
      view.setShownWindow(1 - token->window);  // its window hidden: selecting shows them all
      view.worstList()->setCurrentItem(view.worstList()->topLevelItem(row));
      QCOMPARE(*view.selectedToken(), std::make_pair(token->window, index));
      QCOMPARE(view.shownWindow(), -1);
      QTest::qWait(20);
      QVERIFY(view.textView()->viewport()->rect().intersects(view.tokenRect(token->window, index)));
      QVERIFY(
          view.detailsView()->toPlainText().contains(QString::number(token->quality.kl, 'f', 4)));
    }
  }

  void exportsFigure() {
    DamageView view(m_runner);
    showOn(view);
    QTemporaryDir out;
    widgets::FigureOptions options;
    options.widthMm = 160;
    options.heightMm = 100;
    options.dpi = 150;
    for (const char* suffix : {"png", "svg", "pdf"}) {
      const QString path = out.filePath(QStringLiteral("damage.") + QLatin1String(suffix));
      QString error;
      QVERIFY2(view.exportFigure(path, options, &error), qPrintable(error));
      QVERIFY(QFileInfo(path).size() > 1000);
    }
    const QImage png(out.filePath(QStringLiteral("damage.png")));
    QCOMPARE(png.width(), static_cast<int>(std::lround(160 / 25.4 * 150)));
    // The worst token's dark shading is in the picture, and in the SVG drawn again.
    const auto hasDarkRed = [](const QImage& image) {
      for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
          const QColor c = image.pixelColor(x, y);
          if (c.red() > 100 && c.green() < 40 && c.blue() < 60) return true;
        }
      return false;
    };
    QVERIFY(hasDarkRed(png));
    QFile svg(out.filePath(QStringLiteral("damage.svg")));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray content = svg.readAll();
    QVERIFY(content.contains("Which tokens are hurt"));
    QSvgRenderer renderer(content);
    QVERIFY(renderer.isValid());
    QImage drawn(800, 500, QImage::Format_ARGB32);
    drawn.fill(Qt::white);
    QPainter painter(&drawn);
    renderer.render(&painter);
    painter.end();
    QVERIFY(hasDarkRed(drawn));
    QString error;
    QVERIFY(!view.exportFigure(out.filePath(QStringLiteral("damage.gif")), options, &error));
    QVERIFY(error.contains(QStringLiteral("damage.gif")));
  }

  void measuresAsJobFailsAndCancels() {
    widgets::JobRunner runner(1);
    DamageView view(runner);
    QSignalSpy shown(&view, &DamageView::damageShown);
    QSignalSpy failed(&view, &DamageView::failed);
    view.setDevice("cpu");
    const int id = view.showJob(m_project, m_job.substr(0, 6));
    QVERIFY(id > 0);
    QVERIFY(view.busy());
    QVERIFY(shown.wait(60000));
    QCOMPARE(view.damage()->job, m_job);
    QCOMPARE(view.spans().size(), std::size_t{64});
    QVERIFY(view.damage()->stats.kld.mean == m_damage.stats.kld.mean);  // the same measurement

    view.showJob(m_project, "zzzz");
    QVERIFY(failed.wait(30000));
    QVERIFY2(failed.front().front().toString().contains(QStringLiteral("demo.kvw")),
             qPrintable(failed.front().front().toString()));
    QVERIFY(failed.front().front().toString().contains(QStringLiteral("zzzz")));

    const int cancelled = view.showJob(m_project, m_job);
    runner.cancel(cancelled);
    QVERIFY(QTest::qWaitFor(
        [&] { return runner.status(cancelled).state != widgets::JobState::Running; }, 60000));
    QCOMPARE(runner.status(cancelled).state, widgets::JobState::Cancelled);
    QCOMPARE(view.damage()->job, m_job);  // the shown result stays
  }

  void mainWindowMenuPreselectsClickedJob() {
    app::MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));
    auto* action = w.findChild<QAction*>(QStringLiteral("damageAction"));
    QVERIFY(action && action->isEnabled());
    auto* results = w.openResults();
    QVERIFY(results);
    // A click on a job's aggregate point in the Pareto plot.
    const auto project = core::Project::open(m_project);
    const auto choices = widgets::damageJobChoices(project, project.runs());
    const auto& plain = choices[1];  // not the first in the list: the click chooses it
    Q_EMIT results->fitSelected(
        QString::fromStdString(plain.run), -1, -1, QStringLiteral("all"),
        QString::fromStdString(nlohmann::json{{"rank", 1}, {"job", plain.key}}.dump()));
    action->trigger();
    auto* dialog = w.findChild<QInputDialog*>(QStringLiteral("damageJobDialog"));
    QVERIFY(dialog);
    QCOMPARE(dialog->textValue(), plain.label);
    dialog->setTextValue(choices[0].label);
    dialog->accept();
    auto* view = w.findChild<DamageView*>(QStringLiteral("damage"));
    QVERIFY(view);
    QCOMPARE(w.findChild<QTabWidget*>(QStringLiteral("centralTabs"))->currentWidget(), view);
    QVERIFY(QTest::qWaitFor([&] { return view->damage() != nullptr; }, 60000));
    QCOMPARE(view->damage()->job, choices[0].key);
    QVERIFY(w.openProject(QString::fromStdString(m_project.string())));  // a project's tabs close
    QTest::qWait(20);
    QVERIFY(w.findChild<DamageView*>(QStringLiteral("damage")) == nullptr);
  }
};

QTEST_MAIN(TestDamageView)
#include "test_damage_view.moc"
