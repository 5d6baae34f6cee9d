// HeatmapPlot: QCPColorMaps in a row of axis rects with one QCPColorScale; cells are centred on
// integer (head, layer) coordinates, so pixel <-> cell is a rounding of the axis coordinate.
#include "widgets/plots/heatmap_plot.h"

#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr int kClickSlopPx = 4;  // a press and release this close together is a click

QCPColorGradient gradient(bool diverging) {
  QCPColorGradient g;
  g.clearColorStops();
  if (diverging) {  // ColorBrewer RdBu: blue below zero, red above, readable for colour-blindness
    g.setColorStops({{0.0, QColor(0x2166ac)},
                     {0.25, QColor(0x67a9cf)},
                     {0.5, QColor(0xf7f7f7)},
                     {0.75, QColor(0xef8a62)},
                     {1.0, QColor(0xb2182b)}});
  } else {  // viridis: perceptually uniform, colour-blind safe
    g.setColorStops({{0.0, QColor(0x440154)},
                     {0.25, QColor(0x3b528b)},
                     {0.5, QColor(0x21918c)},
                     {0.75, QColor(0x5ec962)},
                     {1.0, QColor(0xfde725)}});
  }
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

// QCPColorMapData needs two cells per axis to span a range: a single head or layer is stored twice
// over a quarter cell either side of 0, which draws one cell over [-0.5, 0.5].
int storedSize(int n) { return std::max(n, 2); }
QCPRange storedRange(int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.25, 0.25); }

}  // namespace

HeatmapPlot::HeatmapPlot(QWidget* parent)
    : PlotWidget(parent),
      m_grid(new QCPLayoutGrid),
      m_scale(new QCPColorScale(canvas())),
      m_margins(new QCPMarginGroup(canvas())) {
  QCustomPlot* plot = canvas();
  plot->plotLayout()->remove(plot->axisRect());  // panels live in m_grid instead
  plot->plotLayout()->addElement(kAxisRow, 0, m_grid);
  m_grid->addElement(0, 0, m_scale);  // rebuildPanels() moves it behind the panels
  m_grid->setColumnSpacing(12);
  m_scale->setType(QCPAxis::atRight);
  m_scale->setBarWidth(12);
  m_scale->setMarginGroup(QCP::msTop | QCP::msBottom, m_margins);
  styleAxis(m_scale->axis());
  plot->setMouseTracking(true);
  connect(plot, &QCustomPlot::mousePress, this,
          [this](QMouseEvent* event) { m_pressPos = event->pos(); });
  connect(plot, &QCustomPlot::mouseRelease, this, &HeatmapPlot::onMouseRelease);
  connect(plot, &QCustomPlot::mouseMove, this, &HeatmapPlot::onMouseMove);
}

void HeatmapPlot::rebuildPanels(std::size_t count) {
  clearCanvas();
  m_maps.clear();
  m_marks.clear();
  if (m_rects.size() == count) return;
  m_grid->take(m_scale);
  for (QCPAxisRect* rect : m_rects) m_grid->remove(rect);
  m_grid->simplify();
  m_rects.clear();
  for (std::size_t i = 0; i < count; ++i) {
    auto* rect = new QCPAxisRect(canvas());
    rect->setMarginGroup(QCP::msTop | QCP::msBottom, m_margins);
    m_grid->addElement(0, static_cast<int>(i), rect);
    m_rects.push_back(rect);
  }
  m_grid->addElement(0, static_cast<int>(count), m_scale);
  m_grid->setColumnStretchFactor(static_cast<int>(count), 0.01);
}

void HeatmapPlot::setData(const HeatmapData& data) {
  m_data = data;
  rebuildPanels(data.panels.size());
  const int L = data.layers, H = data.heads;
  double limit = 0;
  for (std::size_t i = 0; i < data.panels.size(); ++i) {
    QCPAxisRect* rect = m_rects[i];
    styleAxes(rect, data.xLabel, i == 0 ? data.yLabel : "");
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    for (QCPAxis* axis : {x, y}) {
      integerTicks(axis);
      axis->grid()->setVisible(false);
    }
    x->setRange(-0.5, H - 0.5);
    y->setRange(-0.5, L - 0.5);
    auto* top = rect->axis(QCPAxis::atTop);
    top->setVisible(true);
    top->setTicks(false);
    top->setTickLabels(false);
    top->setLabel(QString::fromStdString(data.panels[i].title));
    top->setLabelFont(QFont(top->labelFont().family(), 9, QFont::Bold));
    top->setLabelPadding(2);
    top->setBasePen(Qt::NoPen);

    auto* map = new QCPColorMap(x, y);
    map->setInterpolate(false);
    map->data()->setSize(storedSize(H), storedSize(L));
    map->data()->setRange(storedRange(H), storedRange(L));
    const std::vector<double>& v = data.panels[i].values;
    for (int l = 0; l < storedSize(L); ++l)
      for (int h = 0; h < storedSize(H); ++h) {
        const double value =
            v[static_cast<std::size_t>(std::min(l, L - 1) * H + std::min(h, H - 1))];
        map->data()->setCell(h, l, value);
        if (std::isfinite(value)) limit = std::max(limit, std::abs(value));
      }
    map->setColorScale(m_scale);
    map->setGradient(gradient(data.diverging));
    m_maps.push_back(map);

    // A white line on a black one: visible on every colour of both gradients.
    for (const QPen& pen : {QPen(Qt::black, 4), QPen(Qt::white, 1.5)}) {
      auto* mark = new QCPItemRect(canvas());
      mark->setClipAxisRect(rect);
      mark->setPen(pen);
      mark->setBrush(Qt::NoBrush);
      for (QCPItemPosition* p : {mark->topLeft, mark->bottomRight}) p->setAxes(x, y);
      m_marks.push_back(mark);
    }
  }
  m_scale->axis()->setLabel(QString::fromStdString(data.valueLabel));
  m_scale->setGradient(gradient(data.diverging));
  if (data.diverging)
    m_scale->setDataRange(QCPRange(-std::max(limit, 1e-12), std::max(limit, 1e-12)));
  else
    m_scale->rescaleDataRange(true);
  setTitle(data.valueLabel);
  markSelection();
  replot();
}

void HeatmapPlot::setSelectedCell(int layer, int head) {
  m_selectedLayer = layer;
  m_selectedHead = head;
  markSelection();
  replot();
}

void HeatmapPlot::markSelection() {
  const bool valid = m_selectedLayer >= 0 && m_selectedLayer < m_data.layers &&
                     m_selectedHead >= 0 && m_selectedHead < m_data.heads;
  for (QCPItemRect* mark : m_marks) {
    mark->setVisible(valid);
    mark->topLeft->setCoords(m_selectedHead - 0.5, m_selectedLayer + 0.5);
    mark->bottomRight->setCoords(m_selectedHead + 0.5, m_selectedLayer - 0.5);
  }
}

QPoint HeatmapPlot::cellPosition(int panel, int layer, int head) const {
  const QCPAxisRect* rect = m_rects.at(static_cast<std::size_t>(panel));
  return {static_cast<int>(std::lround(rect->axis(QCPAxis::atBottom)->coordToPixel(head))),
          static_cast<int>(std::lround(rect->axis(QCPAxis::atLeft)->coordToPixel(layer)))};
}

std::optional<HeatmapPlot::Cell> HeatmapPlot::cellAt(const QPoint& pos) const {
  for (std::size_t i = 0; i < m_rects.size(); ++i) {
    const QCPAxisRect* rect = m_rects[i];
    if (!rect->rect().contains(pos)) continue;
    const auto head =
        static_cast<int>(std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x())));
    const auto layer =
        static_cast<int>(std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pos.y())));
    if (head < 0 || head >= m_data.heads || layer < 0 || layer >= m_data.layers) return {};
    return Cell{static_cast<int>(i), layer, head};
  }
  return {};
}

void HeatmapPlot::onMouseMove(QMouseEvent* event) {
  const auto cell = cellAt(event->pos());
  if (!cell) {
    QToolTip::hideText();
    return;
  }
  const HeatmapPanel& panel = m_data.panels[static_cast<std::size_t>(cell->panel)];
  const double value =
      panel.values[static_cast<std::size_t>(cell->layer * m_data.heads + cell->head)];
  QToolTip::showText(
      canvas()->mapToGlobal(event->pos()),
      tr("%1 %2 · %3 %4 · %5\n%6 = %7")
          .arg(QString::fromStdString(m_data.yLabel))
          .arg(cell->layer)
          .arg(QString::fromStdString(m_data.xLabel))
          .arg(cell->head)
          .arg(QString::fromStdString(panel.title), QString::fromStdString(m_data.valueLabel))
          .arg(value, 0, 'g', 4),
      canvas());
}

void HeatmapPlot::onMouseRelease(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton ||
      (event->pos() - m_pressPos).manhattanLength() > kClickSlopPx)
    return;
  const auto cell = cellAt(event->pos());
  if (!cell) return;
  setSelectedCell(cell->layer, cell->head);
  Q_EMIT targetSelected(cell->layer, cell->head,
                        m_data.panels[static_cast<std::size_t>(cell->panel)].kind);
}

}  // namespace kvwb::widgets
