// KeepMapPlot: a QCPColorMap of 0/1 cells (NaN for a gap row) over rows centred on integer y
// (reversed: the first row on top) and tokens on integer x, and QCPBars of width 1 on the same x
// range in a second axis rect, the two aligned by a margin group.
#include "widgets/plots/keep_map_plot.h"

#include <QFontMetrics>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr int kClickSlopPx = 4;  // a press and release this close together is a click
constexpr double kOutlineRowPx = 7;  // rows at least this tall get the selected row's outline
const QColor kEvictedBar(0xAA, 0xAA, 0xAA);

// QCPColorMapData needs two cells per axis to span a range (as in heatmap_plot.cpp).
int storedSize(int n) { return std::max(n, 2); }
QCPRange storedRange(int n) { return n > 1 ? QCPRange(0, n - 1) : QCPRange(-0.25, 0.25); }

QCPColorGradient keepGradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0, KeepMapPlot::evictedColour());
  g.setColorStopAt(1, KeepMapPlot::keptColour());
  g.setLevelCount(2);
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

// Bars over the positions where `flags` is `want` (their width spans the token's column).
QCPBars* addBars(QCPAxisRect* rect, const KeepAttentionChart& chart, bool want, const QColor& colour,
                 const std::string& name) {
  auto* bars = new QCPBars(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
  bars->setName(QString::fromStdString(name));
  bars->setWidth(1.0);
  bars->setWidthType(QCPBars::wtPlotCoords);
  bars->setPen(Qt::NoPen);
  bars->setBrush(colour);
  bars->setAntialiased(false);  // no hairline gaps between neighbours
  QVector<double> keys, values;
  for (std::size_t j = 0; j < chart.values.size(); ++j)
    if ((j < chart.highlighted.size() && chart.highlighted[j]) == want && chart.values[j] > 0) {
      keys.push_back(static_cast<double>(j));
      values.push_back(chart.values[j]);
    }
  bars->setData(keys, values, true);
  bars->removeFromLegend();  // the titles say which colour is which
  return bars;
}

QString quotedToken(const std::string& token) {
  QString text = QString::fromStdString(token);
  text.replace(QLatin1Char('\n'), QStringLiteral("⏎"));
  return QStringLiteral("“%1”").arg(text);
}

}  // namespace

QColor KeepMapPlot::keptColour() { return paletteColour(0); }
QColor KeepMapPlot::evictedColour() { return {0xE4, 0xE4, 0xE4}; }

KeepMapPlot::KeepMapPlot(QWidget* parent)
    : PlotWidget(parent),
      m_mapRect(canvas()->axisRect()),
      m_attentionRect(new QCPAxisRect(canvas())),
      m_margins(new QCPMarginGroup(canvas())) {
  QCustomPlot* plot = canvas();
  plot->plotLayout()->addElement(kAxisRow + 1, 0, m_attentionRect);
  plot->plotLayout()->setRowStretchFactor(kAxisRow, 3);
  plot->plotLayout()->setRowStretchFactor(kAxisRow + 1, 2.2);
  for (QCPAxisRect* rect : {m_mapRect, m_attentionRect})
    rect->setMarginGroup(QCP::msLeft | QCP::msRight, m_margins);
  styleAxes(m_mapRect, "", "target");
  styleAxes(m_attentionRect, "token position", "", false, true);
  m_mapRect->axis(QCPAxis::atLeft)->setRangeReversed(true);
  m_mapRect->axis(QCPAxis::atLeft)->grid()->setVisible(false);
  m_mapRect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
  m_mapRect->axis(QCPAxis::atBottom)->setTickLabels(false);  // the bars' axis names the tokens
  auto rowTicker = QSharedPointer<QCPAxisTickerText>::create();
  m_mapRect->axis(QCPAxis::atLeft)->setTicker(rowTicker);
  m_mapRect->axis(QCPAxis::atLeft)->setSubTicks(false);
  // The selected row named at the map's right edge ("◀ K L4·H3"), readable however thin rows are.
  QCPAxis* right = m_mapRect->axis(QCPAxis::atRight);
  right->setVisible(true);
  right->setTicker(QSharedPointer<QCPAxisTickerText>::create());
  right->setRangeReversed(true);
  right->setBasePen(Qt::NoPen);
  right->setTickPen(Qt::NoPen);
  right->setSubTicks(false);
  right->setTickLabelPadding(2);
  QFont boldTicks = right->tickLabelFont();
  boldTicks.setBold(true);
  right->setTickLabelFont(boldTicks);
  connect(m_mapRect->axis(QCPAxis::atLeft), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), right,
          qOverload<const QCPRange&>(&QCPAxis::setRange));
  QCPAxis* title = m_attentionRect->axis(QCPAxis::atTop);
  title->setVisible(true);
  title->setTicks(false);
  title->setTickLabels(false);
  title->setBasePen(Qt::NoPen);
  title->setLabelFont(QFont(title->labelFont().family(), 9, QFont::Bold));
  title->setLabelPadding(2);
  plot->setMouseTracking(true);
  connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) { m_pressPos = event->pos(); });
  connect(plot, &QCustomPlot::mouseRelease, this, &KeepMapPlot::onMouseRelease);
  connect(plot, &QCustomPlot::mouseMove, this, &KeepMapPlot::onMouseMove);
  connect(plot, &QCustomPlot::afterLayout, this, &KeepMapPlot::relabelRows);
}

void KeepMapPlot::setMap(const KeepMapChart& chart) {
  m_map = chart;
  m_selected = -1;
  clearCanvas();  // the colour map, the bars and the outline
  m_marks.clear();
  const int T = std::max(chart.tokens, 1), R = static_cast<int>(chart.rows.size());
  QCPAxis* x = m_mapRect->axis(QCPAxis::atBottom);
  QCPAxis* y = m_mapRect->axis(QCPAxis::atLeft);
  m_colours = new QCPColorMap(x, y);
  m_colours->setInterpolate(false);
  m_colours->setTightBoundary(false);
  m_colours->data()->setSize(storedSize(T), storedSize(R));
  m_colours->data()->setRange(storedRange(T), storedRange(R));
  for (int r = 0; r < storedSize(R); ++r) {
    const auto& kept = R ? chart.rows[static_cast<std::size_t>(std::min(r, R - 1))].kept
                         : std::vector<std::uint8_t>{};
    for (int j = 0; j < storedSize(T); ++j) {
      const auto at = static_cast<std::size_t>(std::min(j, T - 1));
      m_colours->data()->setCell(j, r, at < kept.size() ? kept[at] : std::nan(""));
    }
  }
  m_colours->setGradient(keepGradient());
  m_colours->setDataRange(QCPRange(0, 1));
  m_colours->removeFromLegend();
  x->setRange(-0.5, T - 0.5);
  y->setRange(-0.5, std::max(R, 1) - 0.5);
  m_attentionRect->axis(QCPAxis::atBottom)->setRange(-0.5, T - 0.5);
  // A white line on a black one, visible on both colours (drawn where rows have room for it).
  for (const QPen& pen : {QPen(Qt::black, 3), QPen(Qt::white, 1)}) {
    auto* mark = new QCPItemRect(canvas());
    mark->setClipAxisRect(m_mapRect);
    mark->setPen(pen);
    mark->setBrush(Qt::NoBrush);
    for (QCPItemPosition* p : {mark->topLeft, mark->bottomRight}) p->setAxes(x, y);
    m_marks.push_back(mark);
  }
  setTitle(chart.title);
  m_labelStep = -1;
  applyRowLabels();
  markSelection();
  setAttention(m_attention.values.size() == static_cast<std::size_t>(chart.tokens) ? m_attention
                                                                                   : KeepAttentionChart{});
}

void KeepMapPlot::setAttention(const KeepAttentionChart& chart) {
  m_attention = chart;
  for (int i = canvas()->plottableCount() - 1; i >= 0; --i)
    if (auto* bars = qobject_cast<QCPBars*>(canvas()->plottable(i))) canvas()->removePlottable(bars);
  addBars(m_attentionRect, chart, true, keptColour(), chart.highlightLabel);
  addBars(m_attentionRect, chart, false, kEvictedBar, chart.otherLabel);
  QCPAxis* y = m_attentionRect->axis(QCPAxis::atLeft);
  y->setLabel(QString::fromStdString(chart.yLabel));
  m_attentionRect->axis(QCPAxis::atTop)->setLabel(QString::fromStdString(chart.title));
  double low = INFINITY, high = 0;
  for (const double v : chart.values)
    if (v > 0) low = std::min(low, v), high = std::max(high, v);
  if (high > 0)
    y->setRange(low / 1.5, high * 1.5);
  else
    y->setRange(1e-4, 1);
  replot();
}

void KeepMapPlot::setSelectedRow(int row) {
  m_selected = row >= 0 && row < static_cast<int>(m_map.rows.size()) ? row : -1;
  markSelection();
  replot();
}

void KeepMapPlot::markSelection() {
  const bool valid = m_selected >= 0 && m_selected < static_cast<int>(m_map.rows.size());
  const double rowPx = m_map.rows.empty() ? 0 : static_cast<double>(m_mapRect->height()) / m_map.rows.size();
  for (QCPItemRect* mark : m_marks) {
    mark->setVisible(valid && rowPx >= kOutlineRowPx);
    mark->topLeft->setCoords(-0.5, m_selected - 0.5);
    mark->bottomRight->setCoords(m_map.tokens - 0.5, m_selected + 0.5);
  }
  // Without a selection the widest label stays, transparent: the map keeps its width.
  QCPAxis* right = m_mapRect->axis(QCPAxis::atRight);
  auto ticker = qSharedPointerCast<QCPAxisTickerText>(right->ticker());
  ticker->clear();
  const QFontMetrics metrics(right->tickLabelFont());
  QString label;
  for (std::size_t r = 0; r < m_map.rows.size(); ++r) {
    const QString text = QStringLiteral("◀ ") + QString::fromStdString(m_map.rows[r].label);
    if (valid ? static_cast<int>(r) == m_selected : metrics.horizontalAdvance(text) > metrics.horizontalAdvance(label))
      label = text;
  }
  right->setTickLabelColor(valid ? QColor(Qt::black) : QColor(Qt::transparent));
  if (!m_map.rows.empty()) ticker->addTick(valid ? m_selected : 0, label);
}

void KeepMapPlot::relabelRows() {
  const int rows = static_cast<int>(m_map.rows.size());
  if (rows == 0 || m_mapRect->height() <= 0) return;
  const double rowPx = static_cast<double>(m_mapRect->height()) / rows;
  const double linePx = QFontMetrics(m_mapRect->axis(QCPAxis::atLeft)->tickLabelFont()).height();
  int step = 0;
  if (rowPx < linePx) {
    const auto shortLabels = std::count_if(m_map.rows.begin(), m_map.rows.end(),
                                           [](const KeepMapRow& r) { return !r.shortLabel.empty(); });
    const double perLabel = static_cast<double>(rows) / std::max<double>(1, static_cast<double>(shortLabels));
    step = std::max(1, static_cast<int>(std::ceil(linePx / (rowPx * perLabel))));
  }
  const bool outline = rowPx >= kOutlineRowPx;
  if (step == m_labelStep && outline == m_outlined) return;
  m_labelStep = step;
  m_outlined = outline;
  applyRowLabels();
  markSelection();
  canvas()->replot(QCustomPlot::rpQueuedReplot);
}

void KeepMapPlot::applyRowLabels() {
  auto ticker = qSharedPointerCast<QCPAxisTickerText>(m_mapRect->axis(QCPAxis::atLeft)->ticker());
  ticker->clear();
  int shortSeen = 0;
  for (std::size_t r = 0; r < m_map.rows.size(); ++r) {
    const KeepMapRow& row = m_map.rows[r];
    if (m_labelStep == 0 && !row.label.empty())
      ticker->addTick(static_cast<double>(r), QString::fromStdString(row.label));
    else if (m_labelStep != 0 && !row.shortLabel.empty() && shortSeen++ % std::max(1, m_labelStep) == 0)
      ticker->addTick(static_cast<double>(r), QString::fromStdString(row.shortLabel));
  }
}

QStringList KeepMapPlot::rowTickLabels() const {
  const auto ticker = qSharedPointerCast<QCPAxisTickerText>(m_mapRect->axis(QCPAxis::atLeft)->ticker());
  return ticker->ticks().values();
}

QPoint KeepMapPlot::rowPosition(int row) const {
  return {static_cast<int>(std::lround(m_mapRect->axis(QCPAxis::atBottom)->coordToPixel((m_map.tokens - 1) / 2.0))),
          static_cast<int>(std::lround(m_mapRect->axis(QCPAxis::atLeft)->coordToPixel(row)))};
}

std::optional<int> KeepMapPlot::rowAt(const QPoint& pos) const {
  if (!m_mapRect->rect().contains(pos)) return std::nullopt;
  const auto row = static_cast<int>(std::lround(m_mapRect->axis(QCPAxis::atLeft)->pixelToCoord(pos.y())));
  if (row < 0 || row >= static_cast<int>(m_map.rows.size()) || m_map.rows[static_cast<std::size_t>(row)].id < 0)
    return std::nullopt;
  return row;
}

std::optional<int> KeepMapPlot::tokenAt(const QCPAxisRect* rect, const QPoint& pos) const {
  if (!rect->rect().contains(pos)) return std::nullopt;
  const auto token = static_cast<int>(std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x())));
  if (token < 0 || token >= m_map.tokens) return std::nullopt;
  return token;
}

void KeepMapPlot::onMouseMove(QMouseEvent* event) {
  const auto tokenName = [this](int token) {
    const auto at = static_cast<std::size_t>(token);
    return at < m_map.tokenTexts.size() ? tr("token %1 %2").arg(token).arg(quotedToken(m_map.tokenTexts[at]))
                                        : tr("token %1").arg(token);
  };
  const auto mapToken = tokenAt(m_mapRect, event->pos());
  const auto row = rowAt(event->pos());
  QString text;
  if (row && mapToken) {
    const KeepMapRow& r = m_map.rows[static_cast<std::size_t>(*row)];
    const auto at = static_cast<std::size_t>(*mapToken);
    text = tr("%1 · %2 · %3")
               .arg(QString::fromStdString(r.label), tokenName(*mapToken),
                    at < r.kept.size() && r.kept[at] ? tr("kept") : tr("evicted"));
  } else if (const auto token = tokenAt(m_attentionRect, event->pos());
             token && static_cast<std::size_t>(*token) < m_attention.values.size()) {
    const auto at = static_cast<std::size_t>(*token);
    const bool high = at < m_attention.highlighted.size() && m_attention.highlighted[at];
    text = tr("%1 · %2 %3 · %4")
               .arg(tokenName(*token), QString::fromStdString(m_attention.yLabel))
               .arg(m_attention.values[at], 0, 'g', 3)
               .arg(QString::fromStdString(high ? m_attention.highlightLabel : m_attention.otherLabel));
  }
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(canvas()->mapToGlobal(event->pos()), text, canvas());
}

void KeepMapPlot::onMouseRelease(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton || (event->pos() - m_pressPos).manhattanLength() > kClickSlopPx) return;
  const auto row = rowAt(event->pos());
  if (!row) return;
  setSelectedRow(*row);
  Q_EMIT rowSelected(*row);
}

}  // namespace kvwb::widgets
