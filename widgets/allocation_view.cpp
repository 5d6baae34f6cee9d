// AllocationView: the controls, the K/V maps of the chosen options (a painted grid, categorical
// colours and a legend) and the damage-vs-budget curve (LinePlot) over allocation_data.h; every
// slider move solves again on the GUI thread (a fraction of a millisecond). Core errors stop at
// this edge: shown in the view and emitted by failed(), never thrown into Qt.
#include "widgets/allocation_view.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/plots/line_plot.h"

namespace kvwb::widgets {

// The chosen option of every layer and head, one grid per kind side by side, a legend under them.
class AllocationMapWidget : public QWidget {
 public:
  explicit AllocationMapWidget(QWidget* parent) : QWidget(parent) {
    setMinimumSize(320, 240);
    setMouseTracking(true);
  }

  void setMap(AllocationMap map, std::vector<QColor> colours) {
    m_map = std::move(map);
    m_colours = std::move(colours);
    update();
  }
  const AllocationMap& map() const { return m_map; }

  // The whole cell (its background); the option's square is centred in it.
  QRectF cellRect(int panel, int layer, int head) const {
    const Layout l = layout();
    return {l.left + panel * (l.panelWidth + kGap) + kLabelWidth + head * l.cell,
            kTitleHeight + kHeadRow + layer * l.cell, l.cell, l.cell};
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    if (m_map.panels.empty() || m_map.layers == 0 || m_map.heads == 0) {
      p.setPen(Qt::gray);
      p.drawText(rect(), Qt::AlignCenter, tr("no allocation"));
      return;
    }
    const Layout l = layout();
    const QFontMetricsF fm(font());
    const int labelEvery = std::max(1, static_cast<int>(std::ceil(fm.height() / l.cell)));
    for (std::size_t pi = 0; pi < m_map.panels.size(); ++pi) {
      const auto& panel = m_map.panels[pi];
      const int i = static_cast<int>(pi);
      const QRectF first = cellRect(i, 0, 0);
      p.setPen(Qt::black);
      QFont bold = font();
      bold.setBold(true);
      p.setFont(bold);
      p.drawText(QRectF(first.left(), 0, l.cell * m_map.heads, kTitleHeight), Qt::AlignCenter,
                 panel.kind == "K"   ? tr("K (keys)")
                 : panel.kind == "V" ? tr("V (values)")
                                     : QString::fromStdString(panel.kind));
      p.setFont(font());
      p.setPen(QColor(0x44, 0x44, 0x44));
      const int headEvery = std::max(
          1, static_cast<int>(std::ceil(fm.horizontalAdvance(QStringLiteral("H00")) / l.cell)));
      for (int h = 0; h < m_map.heads; h += headEvery)
        p.drawText(QRectF(cellRect(i, 0, h).left(), kTitleHeight, l.cell, kHeadRow),
                   Qt::AlignCenter, QStringLiteral("H%1").arg(h));
      for (int layer = 0; layer < m_map.layers; ++layer) {
        if (layer % labelEvery == 0)
          p.drawText(QRectF(first.left() - kLabelWidth, cellRect(i, layer, 0).top(),
                            kLabelWidth - 4, l.cell),
                     Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("L%1").arg(layer));
        for (int h = 0; h < m_map.heads; ++h) {
          const QRectF cell = cellRect(i, layer, h).adjusted(0.5, 0.5, -0.5, -0.5);
          p.fillRect(cell, QColor(0xee, 0xee, 0xee));
          const auto& c = panel.cells[static_cast<std::size_t>(layer * m_map.heads + h)];
          if (c.option < 0) continue;
          // Area proportional to the bytes kept (never so small that the colour is lost).
          const double side = std::clamp(std::sqrt(c.share), 0.3, 1.0) * cell.width();
          p.fillRect(QRectF(cell.center().x() - side / 2, cell.center().y() - side / 2, side, side),
                     m_colours[static_cast<std::size_t>(c.option)]);
        }
      }
    }
    paintLegend(p, l);
  }

  bool event(QEvent* e) override {
    if (e->type() != QEvent::ToolTip) return QWidget::event(e);
    const auto* help = static_cast<QHelpEvent*>(e);
    for (int i = 0; i < static_cast<int>(m_map.panels.size()); ++i)
      for (int layer = 0; layer < m_map.layers; ++layer)
        for (int h = 0; h < m_map.heads; ++h)
          if (cellRect(i, layer, h).contains(help->pos())) {
            QToolTip::showText(help->globalPos(),
                               m_map.panels[static_cast<std::size_t>(i)]
                                   .cells[static_cast<std::size_t>(layer * m_map.heads + h)]
                                   .toolTip,
                               this);
            return true;
          }
    QToolTip::hideText();
    e->ignore();
    return true;
  }

 private:
  static constexpr double kMargin = 8, kGap = 24, kLabelWidth = 36, kTitleHeight = 22,
                          kHeadRow = 16;
  static constexpr double kSwatch = 12, kLegendRow = 18;

  struct Layout {
    double left, panelWidth, cell;
    int legendColumns;
    double legendColumnWidth;
  };

  Layout layout() const {
    const QFontMetricsF fm(font());
    Layout l{};
    double widest = 0;
    for (const auto& entry : m_map.legend)
      widest = std::max(widest, fm.horizontalAdvance(entry.text));
    l.legendColumnWidth = widest + kSwatch + 20;
    l.legendColumns = std::max(1, static_cast<int>((width() - 2 * kMargin) / l.legendColumnWidth));
    const int panels = std::max<int>(1, static_cast<int>(m_map.panels.size()));
    const double legend = legendRows(l.legendColumns) * kLegendRow + kLegendRow + kMargin;
    const double gridWidth = (width() - 2 * kMargin - (panels - 1) * kGap) / panels - kLabelWidth;
    const double gridHeight = height() - kTitleHeight - kHeadRow - legend - kMargin;
    l.cell = std::max(2.0, std::min(gridWidth / std::max(1, m_map.heads),
                                    gridHeight / std::max(1, m_map.layers)));
    l.panelWidth = kLabelWidth + l.cell * m_map.heads;
    // Centre the panels across the width.
    l.left = std::max(kMargin, (width() - panels * l.panelWidth - (panels - 1) * kGap) / 2);
    return l;
  }

  int legendRows(int columns) const {
    return (static_cast<int>(m_map.legend.size()) + columns - 1) / columns;
  }

  static QString areaNote() {
    return tr("square area: the option's bytes against the raw float16 cache");
  }

  void paintLegend(QPainter& p, const Layout& l) {
    const double top = cellRect(0, m_map.layers, 0).top() + kMargin;
    const double left = kMargin;
    for (std::size_t i = 0; i < m_map.legend.size(); ++i) {
      const auto& entry = m_map.legend[i];
      const double x =
          left + static_cast<double>(static_cast<int>(i) % l.legendColumns) * l.legendColumnWidth;
      const double y =
          top + static_cast<double>(static_cast<int>(i) / l.legendColumns) * kLegendRow;
      p.fillRect(QRectF(x, y + (kLegendRow - kSwatch) / 2, kSwatch, kSwatch),
                 m_colours[static_cast<std::size_t>(entry.option)]);
      p.setPen(Qt::black);
      p.drawText(QRectF(x + kSwatch + 6, y, l.legendColumnWidth - kSwatch - 6, kLegendRow),
                 Qt::AlignLeft | Qt::AlignVCenter, entry.text);
    }
    p.setPen(Qt::gray);
    p.drawText(QRectF(left, top + legendRows(l.legendColumns) * kLegendRow, width() - 2 * kMargin,
                      kLegendRow),
               Qt::AlignLeft | Qt::AlignVCenter, areaNote());
  }

  AllocationMap m_map;
  std::vector<QColor> m_colours;
};

AllocationView::AllocationView(QWidget* parent)
    : QWidget(parent),
      m_title(new QLabel(tr("No runs shown yet: Analysis → Allocate a Byte Budget…"), this)),
      m_captureBox(new QComboBox(this)),
      m_metricBox(new QComboBox(this)),
      m_slider(new QSlider(Qt::Horizontal, this)),
      m_ratioLabel(new QLabel(this)),
      m_runButton(new QPushButton(tr("Run this allocation"), this)),
      m_summary(new QLabel(this)),
      m_map(new AllocationMapWidget(this)),
      m_plot(new LinePlot(this)),
      m_notes(new QLabel(this)) {
  m_captureBox->setObjectName(QStringLiteral("captureBox"));
  m_metricBox->setObjectName(QStringLiteral("metricBox"));
  m_slider->setObjectName(QStringLiteral("budgetSlider"));
  m_runButton->setObjectName(QStringLiteral("runAllocation"));
  m_summary->setObjectName(QStringLiteral("summary"));
  m_map->setObjectName(QStringLiteral("allocationMap"));
  m_plot->setObjectName(QStringLiteral("allocationCurve"));
  QFont bold = m_title->font();
  bold.setBold(true);
  m_title->setFont(bold);
  for (QLabel* label : {m_title, m_summary, m_notes}) label->setTextFormat(Qt::PlainText);
  m_summary->setWordWrap(true);
  m_notes->setWordWrap(true);
  m_notes->setStyleSheet(QStringLiteral("color: #555"));
  m_slider->setRange(0, kSliderSteps);
  m_slider->setToolTip(
      tr("The budget as a compression ratio: the raw float16 bytes of every target / "
         "the budget (log scale); the allocation is solved again as it moves"));
  m_metricBox->setToolTip(
      tr("The predicted damage to minimise: a per-target metric where lower is better"));
  m_runButton->setToolTip(
      tr("Run the allocation as a sweep: the chosen option per target as one job, "
         "beside the baselines at the same budget"));
  m_ratioLabel->setMinimumWidth(
      m_ratioLabel->fontMetrics().horizontalAdvance(QStringLiteral("16.0x ")));
  m_captureBox->hide();
  connect(m_slider, &QSlider::valueChanged, this, &AllocationView::solve);
  connect(m_captureBox, &QComboBox::currentIndexChanged, this, &AllocationView::showMap);
  connect(m_metricBox, &QComboBox::activated, this,
          [this] { setMetric(m_metricBox->currentText()); });
  connect(m_runButton, &QPushButton::clicked, this, &AllocationView::requestRun);

  auto* top = new QHBoxLayout;
  top->addWidget(m_title, 1);
  top->addWidget(m_captureBox);
  top->addWidget(new QLabel(tr("minimise"), this));
  top->addWidget(m_metricBox);
  auto* budget = new QHBoxLayout;
  budget->addWidget(new QLabel(tr("budget (compression ratio)"), this));
  budget->addWidget(m_slider, 1);
  budget->addWidget(m_ratioLabel);
  budget->addWidget(m_runButton);
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(m_map);
  split->addWidget(m_plot);
  split->setSizes({1000, 1000});  // halves: weights far above either minimum width
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(top);
  layout->addLayout(budget);
  layout->addWidget(m_summary);
  layout->addWidget(split, 1);
  layout->addWidget(m_notes);
  clear();
}

const AllocationMap& AllocationView::map() const { return m_map->map(); }

QPoint AllocationView::cellPosition(int panel, int layer, int head) const {
  return m_map->cellRect(panel, layer, head).center().toPoint();
}

QWidget* AllocationView::mapWidget() const { return m_map; }

bool AllocationView::showRuns(const std::filesystem::path& project,
                              const std::vector<std::string>& names) {
  std::vector<std::string> metrics;
  try {
    m_runs = loadAllocationRuns(project, names);
    metrics = allocationMetricColumns(m_runs);
  } catch (const std::exception& e) {
    fail(QString::fromStdString(e.what()));
    return false;
  }
  m_project = project;
  QStringList sweeps;
  for (const auto& r : m_runs) {
    const QString sweep = QString::fromStdString(r.run.id.substr(0, r.run.id.find('.')));
    if (!sweeps.contains(sweep)) sweeps << sweep;
  }
  m_title->setText(
      tr("Byte budget · %1 · %2 runs").arg(sweeps.join(QStringLiteral(", "))).arg(m_runs.size()));
  {
    const QSignalBlocker block(m_metricBox);
    m_metricBox->clear();
    for (const auto& m : metrics) m_metricBox->addItem(QString::fromStdString(m));
  }
  if (metrics.empty()) {
    clear();
    fail(tr("%1: no target row of these runs measured a metric to allocate by (attn_kl, "
            "attn_out_err, rel_err, or delta_ppl, kld, ln_ppl_ratio per target)")
             .arg(QString::fromStdString(project.string())));
    return false;
  }
  return setMetric(m_metricBox->itemText(0));
}

bool AllocationView::setMetric(const QString& column) {
  const double keep = m_pick ? m_pick->ratio : 4.0;
  try {
    m_model = buildAllocationModel(m_runs, column.toStdString(), m_project);
  } catch (const std::exception& e) {
    clear();
    fail(QString::fromStdString(e.what()));
    return false;
  }
  m_metricBox->setCurrentText(column);
  m_curve = allocationCurve(*m_model);
  {
    const QSignalBlocker block(m_captureBox);
    m_captureBox->clear();
    for (const auto& c : allocationCaptures(m_model->table))
      m_captureBox->addItem(QString::fromStdString(c));
    m_captureBox->setVisible(m_captureBox->count() > 1);
  }
  QStringList notes;
  for (const auto& note : core::allocationNotes(m_model->table)) notes << QString::fromStdString(note);
  m_notes->setText(notes.join(QLatin1Char('\n')));
  const auto [lo, hi] = sliderRange();
  m_slider->setEnabled(hi > lo);
  m_runButton->setEnabled(true);
  {
    const QSignalBlocker block(m_slider);
    setRatio(keep);
  }
  solve();
  return true;
}

std::pair<double, double> AllocationView::sliderRange() const {
  if (!m_model) return {1, 1};
  const double lo = std::max(kLowestRatio, m_model->minRatio()),
               hi = std::min(kHighestRatio, m_model->maxRatio());
  return lo < hi ? std::pair{lo, hi} : std::pair{m_model->minRatio(), m_model->maxRatio()};
}

double AllocationView::sliderRatio(int value) const {
  const auto [lo, hi] = sliderRange();
  return std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * value / kSliderSteps);
}

void AllocationView::setRatio(double ratio) {
  const auto [lo, hi] = sliderRange();
  const double at =
      hi > lo ? (std::log(std::clamp(ratio, lo, hi)) - std::log(lo)) / (std::log(hi) - std::log(lo))
              : 0;
  m_slider->setValue(static_cast<int>(std::lround(at * kSliderSteps)));
}

double AllocationView::ratio() const {
  return m_pick ? m_pick->ratio : sliderRatio(m_slider->value());
}

void AllocationView::solve() {
  if (!m_model) return;
  try {
    m_pick = solveAtRatio(*m_model, sliderRatio(m_slider->value()));
  } catch (const std::exception& e) {  // not expected: the ratio is clamped to what fits
    fail(QString::fromStdString(e.what()));
    return;
  }
  m_ratioLabel->setText(QStringLiteral("%1x").arg(m_pick->ratio, 0, 'f', 2));
  m_summary->setText(allocationSummaryText(*m_model, *m_pick));
  m_plot->setChart(allocationChart(*m_model, m_curve, m_pick->ratio));
  showMap();
}

void AllocationView::showMap() {
  if (!m_model || !m_pick) return;
  const int capture = std::max(0, m_captureBox->currentIndex());
  m_map->setMap(allocationMap(*m_model, m_pick->allocation, static_cast<std::size_t>(capture)),
                optionColours(m_model->table));
}

void AllocationView::requestRun() {
  if (!m_model || !m_pick) return;
  try {
    const auto spec = allocationRunSpec(*m_model, *m_pick);
    Q_EMIT runRequested(QString::fromStdString(spec.dump(2)),
                        QString::fromStdString(spec.value("name", std::string())));
  } catch (const std::exception& e) {
    fail(QString::fromStdString(e.what()));
  }
}

void AllocationView::clear() {
  m_model.reset();
  m_pick.reset();
  m_map->setMap({}, {});
  m_plot->setChart({});
  m_summary->clear();
  m_ratioLabel->clear();
  m_slider->setEnabled(false);
  m_runButton->setEnabled(false);
}

void AllocationView::fail(const QString& message) {
  m_notes->setText(message);
  Q_EMIT failed(message);
}

}  // namespace kvwb::widgets
