// The structure atlas views on a real analysed capture: a click on a heatmap cell (at the pixel the
// colour map's axes give for it) selects that target and feeds its values to the drill-down plots
// (one per drillDownPlots() entry); the metric menu (one item per structure scalar) and the mode
// selector change the heatmap; the layer profile overlays captures.
#include <QComboBox>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>
#include <cmath>
#include <cstdio>
#include <variant>

#include "test_fixture.h"
#include "widgets/atlas_view.h"
#include "widgets/plots/bar_plot.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/plots/text_fit.h"

using namespace kvwb::widgets;
using kvwb::core::StructureScalar;
namespace test = kvwb::widgets::test;

class TestAtlasView : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir m_dir;
  std::shared_ptr<const kvwb::core::CaptureAnalysis> m_analysis;
  std::shared_ptr<const AtlasData> m_atlas;

  // Element [l, h, k, i] of an analysis array, indexed directly from its shape.
  float at(const char* name, std::int64_t l, std::int64_t h, std::int64_t k, std::int64_t i) const {
    const auto& a = m_analysis->array(name);
    return a
        .data[static_cast<std::size_t>(((l * a.shape[1] + h) * a.shape[2] + k) * a.shape[3] + i)];
  }
  static std::vector<double> graphValues(const QCPGraph* graph) {
    std::vector<double> y;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
      y.push_back(it->value);
    return y;
  }
  void showView(AtlasView& view) {
    view.setAtlas(m_atlas, {m_atlas});
    view.resize(1400, 900);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.findChild<HeatmapPlot*>(QStringLiteral("heatmap"))->canvas()->replot();  // lays out axes
  }

 private Q_SLOTS:
  void initTestCase() {
    const auto real =
        test::makeRealDump(std::filesystem::path(m_dir.path().toStdString()) / "real");
    const std::filesystem::path dump =
        real.empty()
            ? std::filesystem::path(m_dir.filePath(QStringLiteral("s.safetensors")).toStdString())
            : real;
    if (real.empty()) test::writeSyntheticDump(dump, 3, 4, 64, 8);
    const auto project = std::filesystem::path(m_dir.path().toStdString()) / "atlas.kvw";
    test::importInto(project, dump);
    test::analyzeAll(project);
    const auto p = kvwb::core::Project::open(project);
    auto analysis = kvwb::core::loadAnalysis(p, p.captures().front().name);
    QVERIFY(analysis.has_value());
    m_analysis = std::make_shared<const kvwb::core::CaptureAnalysis>(std::move(*analysis));
    m_atlas = std::make_shared<const AtlasData>(m_analysis, "fiction");
    QVERIFY(m_analysis->layers >= 2 && m_analysis->heads >= 2);
  }

  void clickOnCellSelectsTargetAndUpdatesPlots() {
    AtlasView view;
    showView(view);
    auto* heatmap = view.findChild<HeatmapPlot*>(QStringLiteral("heatmap"));
    auto* autocorr = view.findChild<LinePlot*>(QStringLiteral("autocorrelationPlot"));
    auto* magnitudes = view.findChild<BarPlot*>(QStringLiteral("magnitudePlot"));
    QVERIFY(heatmap && autocorr && magnitudes);
    QCOMPARE(heatmap->data().panels.size(), m_analysis->kinds.size());
    const int layer = static_cast<int>(m_analysis->layers) - 1;
    const int head = static_cast<int>(m_analysis->heads) - 1;
    const int kind = 1;  // the V panel
    const std::vector<double> before = graphValues(autocorr->canvas()->graph(kind));

    QSignalSpy selected(heatmap, &HeatmapPlot::targetSelected);
    QElapsedTimer clock;
    clock.start();
    QTest::mouseClick(heatmap->canvas(), Qt::LeftButton, Qt::NoModifier,
                      heatmap->cellPosition(kind, layer, head));
    const double ms = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    for (QCustomPlot* canvas : view.findChildren<QCustomPlot*>()) canvas->replot();
    const double drawn = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    qInfo("click to updated plot data: %.2f ms, to every plot redrawn: %.1f ms", ms, drawn);
    QVERIFY(ms < 500);

    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.front().at(0).toInt(), layer);
    QCOMPARE(selected.front().at(1).toInt(), head);
    QCOMPARE(selected.front().at(2).toInt(), kind);
    QCOMPARE(view.target().layer, layer);
    QCOMPARE(view.target().kind, kind);

    // The V autocorrelation curve drawn is the clicked target's row of the stored array.
    const std::vector<double> after = graphValues(autocorr->canvas()->graph(kind));
    QVERIFY(after != before);
    QCOMPARE(after.size(), static_cast<std::size_t>(m_analysis->array("autocorr").shape[3]));
    for (std::size_t i = 0; i < after.size(); ++i) {
      const double expected = at("autocorr", layer, head, kind, static_cast<std::int64_t>(i));
      QVERIFY(std::isnan(expected) ? std::isnan(after[i]) : after[i] == expected);
    }
    // The magnitude bars show the clicked kind's mean |x| per dim.
    const auto& mean = magnitudes->chart().sets.back().values;
    QCOMPARE(mean.size(), static_cast<std::size_t>(m_analysis->headDim));
    for (std::size_t d = 0; d < mean.size(); ++d)
      QCOMPARE(mean[d], static_cast<double>(
                            at("dim_mean_abs", layer, head, kind, static_cast<std::int64_t>(d))));
    if (m_analysis->has("sink_share")) {
      const auto& sinks = view.findChild<BarPlot*>(QStringLiteral("sinkPlot"))->chart();
      const auto& share = m_analysis->array("sink_share");
      const auto T = share.shape[2];
      QCOMPARE(sinks.sets.front().values.front(),
               static_cast<double>(
                   share.data[static_cast<std::size_t>((layer * share.shape[1] + head) * T)]));
    }
  }

  void hoverShowsLayerHeadAndValue() {
    AtlasView view;
    showView(view);
    auto* heatmap = view.findChild<HeatmapPlot*>(QStringLiteral("heatmap"));
    QTest::mouseMove(heatmap->canvas(), heatmap->cellPosition(0, 1, 1));
    const QString expected =
        QString::number(m_analysis->scalars(1, 1, 0)[StructureScalar::Lag1Autocorr], 'g', 4);
    QTRY_VERIFY2(QToolTip::text().contains(QStringLiteral("layer 1 · head 1 · K")) &&
                     QToolTip::text().contains(expected),
                 qPrintable(QToolTip::text()));
  }

  void metricSelectorChangesHeatmap() {
    AtlasView view;
    showView(view);
    auto* heatmap = view.findChild<HeatmapPlot*>(QStringLiteral("heatmap"));
    auto* metric = view.findChild<QComboBox*>(QStringLiteral("metricBox"));
    QCOMPARE(static_cast<std::size_t>(metric->count()), kvwb::core::kStructureScalarCount);
    const auto rank = kvwb::core::structureScalar(StructureScalar::EffectiveRank);
    const int item = metric->findText(QString::fromUtf8(rank.title));
    QVERIFY(item >= 0);
    QCOMPARE(metric->itemData(item, Qt::ToolTipRole).toString(), QString::fromUtf8(rank.doc));
    const auto lag1 = heatmap->data().panels.front().values;
    metric->setCurrentIndex(item);
    QCOMPARE(view.metric(), StructureScalar::EffectiveRank);
    const auto& panels = heatmap->data().panels;
    QVERIFY(panels.front().values != lag1);
    auto* map = qobject_cast<QCPColorMap*>(heatmap->canvas()->plottable(0));
    QVERIFY(map != nullptr);
    for (int l = 0; l < m_analysis->layers; ++l)
      for (int h = 0; h < m_analysis->heads; ++h) {
        const double expected = m_analysis->scalars(l, h, 0)[StructureScalar::EffectiveRank];
        QCOMPARE(panels.front().values[static_cast<std::size_t>(l * m_analysis->heads + h)],
                 expected);
        QCOMPARE(map->data()->cell(h, l), expected);
      }
    QVERIFY(view.findChild<LinePlot*>(QStringLiteral("profilePlot"))
                ->chart()
                .title.find("effective rank") == 0);
    view.setMetric(StructureScalar::LowFreq10);
    QCOMPARE(metric->currentText(),
             QString::fromUtf8(kvwb::core::structureScalar(StructureScalar::LowFreq10).title));
  }

  void drillDownGridHasOnePlotPerEntry() {
    AtlasView view;
    showView(view);
    for (const DrillDownPlot& plot : drillDownPlots()) {
      auto* widget = view.findChild<PlotWidget*>(QString::fromLatin1(plot.id));
      QVERIFY2(widget != nullptr, plot.id);
      QCOMPARE(widget->isVisible(), !plot.needs || m_analysis->has(plot.needs));
      if (!widget->isVisible()) continue;
      const bool line = std::holds_alternative<LineChartMethod>(plot.chart);
      QCOMPARE(qobject_cast<LinePlot*>(widget) != nullptr, line);
      const std::string title = line ? qobject_cast<LinePlot*>(widget)->chart().title
                                     : qobject_cast<BarPlot*>(widget)->chart().title;
      QCOMPARE(title, std::string(plot.title));
    }
    // The spectrum's cut-off markers: one per low-frequency share of the scalar table that
    // covers at least two bins, labelled with the cut-off; the note gives the target's shares.
    const auto& spectrum = view.findChild<LinePlot*>(QStringLiteral("spectrumPlot"))->chart();
    const auto bins = static_cast<double>(m_analysis->array("spectrum").shape[3]);
    const auto scalars = m_analysis->scalars(0, 0, 0);
    std::vector<std::string> expected;
    for (const auto& def : kvwb::core::structureScalars())
      if (def.formula == kvwb::core::scalar_formula::lowFrequencyShare &&
          std::lround(def.parameter * bins) >= 2)
      {
        char label[64];
        std::snprintf(label, sizeof label, "%.0f%%", 100 * def.parameter);
        expected.push_back(label);
        std::snprintf(label, sizeof label, "%.0f%%", 100 * scalars[def.id]);
        QVERIFY2(spectrum.note.find(label) != std::string::npos, spectrum.note.c_str());
      }
    std::vector<std::string> labels;
    for (const auto& m : spectrum.markers) labels.push_back(m.label);
    QVERIFY(!expected.empty());
    QCOMPARE(labels, expected);
  }

  void smallPlotsWrapTheirTextsInsteadOfClipping() {
    const QFont font;
    const QString text = QStringLiteral("Attention-output sensitivity per dimension of the head");
    const QString wrapped = wrapText(text, font, 150, 2);
    const QStringList lines = wrapped.split(QLatin1Char('\n'));
    QVERIFY(lines.size() <= 2);
    for (const QString& line : lines) QVERIFY(QFontMetrics(font).horizontalAdvance(line) <= 150);
    QCOMPARE(wrapText(QStringLiteral("short"), font, 150, 2), QStringLiteral("short"));
    QCOMPARE(wrapText(QStringLiteral("two words"), font, 1000, 2), QStringLiteral("two words"));
    // A plot narrower than its title and y label shows both whole, on two lines each.
    LinePlot plot;
    LineChart chart;
    chart.title = "Autocorrelation over token lag";
    chart.yLabel = "relative output change";
    chart.series.push_back({{0, 1, 2}, {0, 1, 0}, "K"});
    plot.setChart(chart);
    plot.resize(190, 240);  // about the drill-down grid's smallest plot
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.canvas()->replot();
    QString title, yLabel;
    for (QCPLayoutElement* element : plot.canvas()->plotLayout()->elements(true))
      if (auto* t = qobject_cast<QCPTextElement*>(element); t && !t->text().isEmpty() && title.isEmpty())
        title = t->text();
    yLabel = plot.canvas()->yAxis->label();
    QCOMPARE(title.simplified(), QString::fromStdString(chart.title));  // every word kept
    QVERIFY(title.contains(QLatin1Char('\n')));
    QCOMPARE(yLabel.simplified(), QString::fromStdString(chart.yLabel));
    const QFontMetrics labelFont(plot.canvas()->yAxis->labelFont());
    for (const QString& line : yLabel.split(QLatin1Char('\n')))
      QVERIFY(labelFont.horizontalAdvance(line) <= plot.canvas()->axisRect()->height());
    plot.resize(900, 600);  // room again: one line each
    plot.canvas()->replot();
    QVERIFY(!plot.canvas()->yAxis->label().contains(QLatin1Char('\n')));
  }

  void layerProfileBandsTheFocusAndMarksTheLayer() {
    const auto code = std::make_shared<const AtlasData>(m_analysis, "fiction");  // same label
    const std::vector<const AtlasData*> both = {m_atlas.get(), code.get()};
    const LineChart plain = layerProfile(both, StructureScalar::Lag1Autocorr, Spread::MinMax);
    QVERIFY(plain.bands.empty());  // several captures and no focus: lines only, no smear
    QVERIFY(plain.markers.empty());
    QCOMPARE(plain.series[0].label, m_analysis->capture + " K");  // shared label: by capture
    const LineChart focused = layerProfile(both, StructureScalar::Lag1Autocorr, Spread::MinMax,
                                           {m_atlas.get(), 2});
    QVERIFY(!focused.bands.empty());
    QCOMPARE(focused.markers.size(), std::size_t{1});
    QCOMPARE(focused.markers[0].x, 2.0);
    // The K − V view selects keys: a pre-RoPE key target becomes the keys of the same head.
    AtlasView view;
    showView(view);
    if (m_analysis->kinds.size() > 2) {
      view.selectTarget({1, 1, 2});
      view.findChild<QComboBox*>(QStringLiteral("modeBox"))->setCurrentIndex(1);
      QCOMPARE(view.target().kind, 0);
      QCOMPARE(view.target().layer, 1);
    }
  }

  void differenceModeShowsKMinusV() {
    AtlasView view;
    showView(view);
    auto* heatmap = view.findChild<HeatmapPlot*>(QStringLiteral("heatmap"));
    view.findChild<QComboBox*>(QStringLiteral("modeBox"))->setCurrentIndex(1);
    QCOMPARE(heatmap->data().panels.size(), std::size_t{1});
    QVERIFY(heatmap->data().diverging);
    const double expected = m_analysis->scalars(1, 1, 0)[StructureScalar::Lag1Autocorr] -
                            m_analysis->scalars(1, 1, 1)[StructureScalar::Lag1Autocorr];
    QCOMPARE(heatmap->data().panels.front().values[static_cast<std::size_t>(m_analysis->heads + 1)],
             expected);
  }

  void layerProfileOverlaysCaptures() {
    AtlasView view;
    showView(view);
    const auto code = std::make_shared<const AtlasData>(m_analysis, "code");
    view.setOverlay({m_atlas, code});
    const auto& chart = view.findChild<LinePlot*>(QStringLiteral("profilePlot"))->chart();
    QCOMPARE(chart.series.size(), std::size_t{4});  // K and V of each capture
    QCOMPARE(chart.series[0].label, std::string("fiction K"));
    QCOMPARE(chart.series[3].label, std::string("code V"));
    QCOMPARE(chart.bands.size(), std::size_t{4});
    double mean = 0;
    for (int h = 0; h < m_analysis->heads; ++h)
      mean += m_analysis->scalars(0, h, 0)[StructureScalar::Lag1Autocorr];
    QVERIFY(std::abs(chart.series[0].y[0] - mean / static_cast<double>(m_analysis->heads)) < 1e-12);
  }
};

QTEST_MAIN(TestAtlasView)
#include "test_atlas_view.moc"
