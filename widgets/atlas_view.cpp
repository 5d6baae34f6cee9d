// AtlasView: the controls row, a splitter of heatmap + profile | target plots, and the wiring from
// a heatmap click to the target plots.
#include "widgets/atlas_view.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>
#include <variant>

#include "widgets/plots/bar_plot.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"

namespace kvwb::widgets {
namespace {

constexpr int kGridColumns = 2;           // of the drill-down grid
constexpr int kDrillDownMinHeight = 190;  // px; below it a plot's title, legend and axes crowd

template <typename Plot>
Plot* namedPlot(const char* name) {
  auto* plot = new Plot;
  plot->setObjectName(QString::fromLatin1(name));
  return plot;
}

// The plot widget for a kind of chart, and how a chart of that kind is shown in it.
PlotWidget* newPlot(const char* name, LineChartMethod) { return namedPlot<LinePlot>(name); }
PlotWidget* newPlot(const char* name, BarChartMethod) { return namedPlot<BarPlot>(name); }
void showChart(PlotWidget* plot, const LineChart& chart) {
  qobject_cast<LinePlot*>(plot)->setChart(chart);
}
void showChart(PlotWidget* plot, const BarChart& chart) {
  qobject_cast<BarPlot*>(plot)->setChart(chart);
}

QComboBox* comboBox(const char* name, const QStringList& items) {
  auto* box = new QComboBox;
  box->setObjectName(QString::fromLatin1(name));
  box->addItems(items);
  return box;
}

}  // namespace

AtlasView::AtlasView(QWidget* parent) : QWidget(parent) {
  m_metric = comboBox("metricBox", {});
  for (const auto& def : core::structureScalars()) {
    m_metric->addItem(QString::fromUtf8(def.title), static_cast<int>(def.id));
    m_metric->setItemData(m_metric->count() - 1, QString::fromUtf8(def.doc), Qt::ToolTipRole);
  }
  m_mode = comboBox("modeBox", {tr("K | V side by side"), tr("K − V difference")});
  m_spread = comboBox("spreadBox", {tr("min–max over heads"), tr("± std over heads")});
  m_title = new QLabel;
  m_title->setTextFormat(Qt::RichText);
  m_targetLabel = new QLabel;
  m_targetLabel->setObjectName(QStringLiteral("targetLabel"));
  // Both wrap, so their one-line text does not set the view's width (the window at 1366 px).
  m_title->setWordWrap(true);
  m_targetLabel->setWordWrap(true);

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_title, 1);
  controls->addWidget(new QLabel(tr("Metric")));
  controls->addWidget(m_metric);
  controls->addWidget(m_mode);
  controls->addWidget(new QLabel(tr("Profile band")));
  controls->addWidget(m_spread);

  m_heatmap = namedPlot<HeatmapPlot>("heatmap");
  m_heatmap->setMinimumWidth(340);
  m_profile = namedPlot<LinePlot>("profilePlot");

  auto* overview = new QSplitter(Qt::Vertical);
  overview->addWidget(m_heatmap);
  overview->addWidget(m_profile);
  overview->setStretchFactor(0, 1);
  overview->setStretchFactor(1, 1);
  m_profile->setMinimumHeight(kDrillDownMinHeight);

  auto* targetPane = new QWidget;
  auto* targetLayout = new QVBoxLayout(targetPane);
  targetLayout->setContentsMargins(0, 0, 0, 0);
  targetLayout->addWidget(m_targetLabel);
  // The grid scrolls rather than squeeze its plots below a readable height (1366 x 768).
  auto* gridPane = new QWidget;
  auto* grid = new QGridLayout(gridPane);
  grid->setContentsMargins(0, 0, 0, 0);
  grid->setSpacing(4);
  for (const DrillDownPlot& plot : drillDownPlots()) {
    const int i = static_cast<int>(m_targetPlots.size());
    m_targetPlots.push_back(
        std::visit([&](auto make) { return newPlot(plot.id, make); }, plot.chart));
    m_targetPlots.back()->setMinimumHeight(kDrillDownMinHeight);
    grid->addWidget(m_targetPlots.back(), i / kGridColumns, i % kGridColumns);
  }
  auto* scroll = new QScrollArea;
  scroll->setObjectName(QStringLiteral("drillDownScroll"));
  scroll->setWidget(gridPane);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  targetLayout->addWidget(scroll, 1);

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
  // Short (the Details dock has the rest): the combo boxes beside it keep their width.
  m_title->setText(tr("<b>%1</b> &nbsp;%2×%3×%4")
                       .arg(QString::fromStdString(a.capture).toHtmlEscaped())
                       .arg(a.layers)
                       .arg(a.heads)
                       .arg(a.tokens));
  m_title->setToolTip(tr("%1 layers × %2 KV heads × %3 tokens, prompt type %4, analysed on %5")
                          .arg(a.layers)
                          .arg(a.heads)
                          .arg(a.tokens)
                          .arg(QString::fromStdString(m_atlas->label()),
                               QString::fromStdString(a.device)));
  for (std::size_t i = 0; i < m_targetPlots.size(); ++i) {
    const char* needs = drillDownPlots()[i].needs;
    m_targetPlots[i]->setVisible(!needs || a.has(needs));
  }
  if (!m_atlas->contains(m_target)) m_target = {};
  showHeatmap();
  selectTarget(m_target);  // shows the profile with the target's layer marked
}

void AtlasView::setOverlay(std::vector<std::shared_ptr<const AtlasData>> overlay) {
  m_overlay = std::move(overlay);
  showProfile();
}

void AtlasView::setMetric(core::StructureScalar metric) {
  m_metric->setCurrentIndex(m_metric->findData(static_cast<int>(metric)));
}

core::StructureScalar AtlasView::metric() const {
  return static_cast<core::StructureScalar>(m_metric->currentData().toInt());
}

void AtlasView::showHeatmap() {
  if (!m_atlas) return;
  const auto mode = m_mode->currentIndex() == 1 ? HeatmapMode::Difference : HeatmapMode::SideBySide;
  m_heatmap->setData(m_atlas->heatmap(metric(), mode));
  // The K − V panel selects keys: a pre-RoPE key target becomes the same head's keys.
  if (mode == HeatmapMode::Difference && m_target.kind > 1)
    selectTarget({m_target.layer, m_target.head, 0});
}

void AtlasView::showProfile() {
  if (!m_atlas) return;
  std::vector<const AtlasData*> atlases;
  for (const auto& a : m_overlay) atlases.push_back(a.get());
  if (atlases.empty()) atlases.push_back(m_atlas.get());
  const Spread spread = m_spread->currentIndex() == 1 ? Spread::StdDev : Spread::MinMax;
  m_profile->setChart(layerProfile(atlases, metric(), spread, {m_atlas.get(), m_target.layer}));
}

void AtlasView::selectTarget(const AtlasTarget& target) {
  m_target = target;
  if (!m_atlas) return;
  m_heatmap->setSelectedCell(target.layer, target.head);
  showProfile();
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
  for (std::size_t i = 0; i < m_targetPlots.size(); ++i)
    if (m_targetPlots[i]->isVisibleTo(this))
      std::visit([&](const auto& chart) { showChart(m_targetPlots[i], chart); },
                 a.drillDown(drillDownPlots()[i], m_target));
}

}  // namespace kvwb::widgets
