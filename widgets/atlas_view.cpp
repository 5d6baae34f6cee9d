// AtlasView: the controls row, a splitter of heatmap + profile | target plots, and the wiring from
// a heatmap click to the target plots.
#include "widgets/atlas_view.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

#include "widgets/plots/bar_plot.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"

namespace kvwb::widgets {
namespace {

template <typename Plot>
Plot* namedPlot(const char* name) {
  auto* plot = new Plot;
  plot->setObjectName(QString::fromLatin1(name));
  return plot;
}

QComboBox* comboBox(const char* name, const QStringList& items) {
  auto* box = new QComboBox;
  box->setObjectName(QString::fromLatin1(name));
  box->addItems(items);
  return box;
}

}  // namespace

AtlasView::AtlasView(QWidget* parent) : QWidget(parent) {
  QStringList metrics;
  for (const std::string& title : AtlasData::metricTitles())
    metrics << QString::fromStdString(title);
  m_metric = comboBox("metricBox", metrics);
  m_mode = comboBox("modeBox", {tr("K | V side by side"), tr("K − V difference")});
  m_spread = comboBox("spreadBox", {tr("min–max over heads"), tr("± std over heads")});
  m_title = new QLabel;
  m_title->setTextFormat(Qt::RichText);
  m_targetLabel = new QLabel;
  m_targetLabel->setObjectName(QStringLiteral("targetLabel"));

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_title);
  controls->addStretch(1);
  controls->addWidget(new QLabel(tr("Metric")));
  controls->addWidget(m_metric);
  controls->addWidget(m_mode);
  controls->addWidget(new QLabel(tr("Profile band")));
  controls->addWidget(m_spread);

  m_heatmap = namedPlot<HeatmapPlot>("heatmap");
  m_heatmap->setMinimumWidth(340);
  m_profile = namedPlot<LinePlot>("profilePlot");
  m_autocorrelation = namedPlot<LinePlot>("autocorrelationPlot");
  m_spectrum = namedPlot<LinePlot>("spectrumPlot");
  m_singular = namedPlot<LinePlot>("singularPlot");
  m_magnitudes = namedPlot<BarPlot>("magnitudePlot");
  m_sinks = namedPlot<BarPlot>("sinkPlot");
  m_sensitivity = namedPlot<BarPlot>("sensitivityPlot");

  auto* overview = new QSplitter(Qt::Vertical);
  overview->addWidget(m_heatmap);
  overview->addWidget(m_profile);
  overview->setStretchFactor(0, 3);
  overview->setStretchFactor(1, 2);

  auto* targetPane = new QWidget;
  auto* targetLayout = new QVBoxLayout(targetPane);
  targetLayout->setContentsMargins(0, 0, 0, 0);
  targetLayout->addWidget(m_targetLabel);
  auto* grid = new QGridLayout;
  grid->setSpacing(4);
  grid->addWidget(m_autocorrelation, 0, 0);
  grid->addWidget(m_spectrum, 0, 1);
  grid->addWidget(m_singular, 1, 0);
  grid->addWidget(m_magnitudes, 1, 1);
  grid->addWidget(m_sinks, 2, 0);
  grid->addWidget(m_sensitivity, 2, 1);
  targetLayout->addLayout(grid, 1);

  auto* body = new QSplitter(Qt::Horizontal);
  body->addWidget(overview);
  body->addWidget(targetPane);
  body->setStretchFactor(0, 1);
  body->setStretchFactor(1, 1);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(controls);
  layout->addWidget(body, 1);

  connect(m_metric, &QComboBox::currentIndexChanged, this, [this] {
    showHeatmap();
    showProfile();
  });
  connect(m_mode, &QComboBox::currentIndexChanged, this, &AtlasView::showHeatmap);
  connect(m_spread, &QComboBox::currentIndexChanged, this, &AtlasView::showProfile);
  connect(m_heatmap, &HeatmapPlot::targetSelected, this, [this](int layer, int head, int kind) {
    selectTarget({layer, head, kind});
  });
}

void AtlasView::setAtlas(std::shared_ptr<const AtlasData> atlas,
                         std::vector<std::shared_ptr<const AtlasData>> overlay) {
  m_atlas = std::move(atlas);
  m_overlay = std::move(overlay);
  const auto& a = m_atlas->analysis();
  m_title->setText(tr("<b>%1</b> &nbsp;%2 layers × %3 heads × %4 tokens, %5 · analysed on %6")
                       .arg(QString::fromStdString(a.capture).toHtmlEscaped())
                       .arg(a.layers)
                       .arg(a.heads)
                       .arg(a.tokens)
                       .arg(QString::fromStdString(m_atlas->label()).toHtmlEscaped(),
                            QString::fromStdString(a.device).toHtmlEscaped()));
  const bool queries = a.has("sink_share");
  m_sinks->setVisible(queries);
  m_sensitivity->setVisible(queries);
  if (!m_atlas->contains(m_target)) m_target = {};
  showHeatmap();
  showProfile();
  selectTarget(m_target);
}

void AtlasView::setOverlay(std::vector<std::shared_ptr<const AtlasData>> overlay) {
  m_overlay = std::move(overlay);
  showProfile();
}

void AtlasView::setMetric(int metric) { m_metric->setCurrentIndex(metric); }

void AtlasView::showHeatmap() {
  if (!m_atlas) return;
  const auto mode = m_mode->currentIndex() == 1 ? HeatmapMode::Difference : HeatmapMode::SideBySide;
  m_heatmap->setData(m_atlas->heatmap(m_metric->currentIndex(), mode));
}

void AtlasView::showProfile() {
  if (!m_atlas) return;
  std::vector<const AtlasData*> atlases;
  for (const auto& a : m_overlay) atlases.push_back(a.get());
  if (atlases.empty()) atlases.push_back(m_atlas.get());
  const Spread spread = m_spread->currentIndex() == 1 ? Spread::StdDev : Spread::MinMax;
  m_profile->setChart(layerProfile(atlases, m_metric->currentIndex(), spread));
}

void AtlasView::selectTarget(const AtlasTarget& target) {
  m_target = target;
  if (!m_atlas) return;
  m_heatmap->setSelectedCell(target.layer, target.head);
  showTarget();
  Q_EMIT targetSelected(target.layer, target.head, target.kind);
}

void AtlasView::showTarget() {
  const AtlasData& a = *m_atlas;
  m_targetLabel->setText(tr("<b>Selected target</b>: layer %1 · head %2 · %3 &nbsp;<i>(click a "
                            "heatmap cell to change)</i>")
                             .arg(m_target.layer)
                             .arg(m_target.head)
                             .arg(QString::fromStdString(
                                 a.analysis().kinds[static_cast<std::size_t>(m_target.kind)])));
  m_autocorrelation->setChart(a.autocorrelation(m_target));
  m_spectrum->setChart(a.spectrum(m_target));
  m_singular->setChart(a.singularValues(m_target));
  m_magnitudes->setChart(a.dimensionMagnitudes(m_target));
  if (m_sinks->isVisibleTo(this)) {
    m_sinks->setChart(a.attentionSinks(m_target));
    m_sensitivity->setChart(a.dimensionSensitivity(m_target));
  }
}

}  // namespace kvwb::widgets
