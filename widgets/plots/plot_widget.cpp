// PlotWidget: the shared QCustomPlot setup (layout, fonts, palette, markers) of the plot widgets.
#include "widgets/plots/plot_widget.h"

#include <QFontMetrics>
#include <QMenu>
#include <QRegularExpression>
#include <QVBoxLayout>
#include <array>
#include <cmath>

#include "widgets/figure_export.h"
#include "widgets/plots/qcustomplot_include.h"
#include "widgets/plots/text_fit.h"

namespace kvwb::widgets {
namespace {

// Marker labels: the share of the axis height one row of labels takes, the share of the axis
// width a label is taken to span, and where along the axis labels move to the line's left.
constexpr double kMarkerRowFraction = 0.1;
constexpr double kMarkerLabelFraction = 0.22;
constexpr double kMarkerFlipFraction = 0.6;
constexpr int kMaxFitPasses = 3;  // wrapping a title shortens the axes: re-fit, then settle

// A QCustomPlot whose texts are re-fitted to every layout, on screen and for an export.
class FittingPlot : public QCustomPlot {
 public:
  using QCustomPlot::QCustomPlot;

 protected:
  void updateLayout() override {
    QCustomPlot::updateLayout();
    for (int pass = 0; pass < kMaxFitPasses && (fitPlotTexts(*this) | fitTickCounts(*this)); ++pass)
      QCustomPlot::updateLayout();
  }
};

// Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
// deficiency. Blue and vermillion first: they are the K and V colours everywhere.
constexpr std::array<QRgb, 8> kOkabeIto = {0x0072B2, 0xD55E00, 0x009E73, 0xE69F00,
                                           0xCC79A7, 0x56B4E9, 0xF0E442, 0x000000};

QFont plotFont(qreal points, bool bold = false) {
  QFont font;
  font.setPointSizeF(points);
  font.setBold(bold);
  return font;
}

}  // namespace

PlotWidget::PlotWidget(QWidget* parent) : QWidget(parent), m_plot(new FittingPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  m_plot->setMinimumSize(180, 130);
  m_plot->setAntialiasedElements(QCP::aeAll);
  m_plot->setNoAntialiasingOnDrag(true);
  // Rows: title, note, legend, axis rect; an empty note and a hidden legend take no height.
  QCPLayoutGrid* rows = m_plot->plotLayout();
  for (int row = 0; row < kAxisRow; ++row) rows->insertRow(row);
  rows->setRowSpacing(0);
  m_title = new QCPTextElement(m_plot, QString(), plotFont(9.5, true));
  rows->addElement(0, 0, m_title);
  m_note = new QCPTextElement(m_plot, QString(), plotFont(8));
  m_note->setTextColor(QColor(70, 70, 70));
  m_note->setMargins(QMargins(2, 0, 2, 2));
  rows->addElement(1, 0, m_note);
  m_legendRow = new QCPLayoutGrid;
  rows->addElement(2, 0, m_legendRow);
  QCPLegend* legend = m_plot->legend;
  m_plot->axisRect()->insetLayout()->take(legend);
  m_legendRow->addElement(0, 0, legend);  // a 1x1 grid: an empty 0x0 one would cap the width
  for (int row = 0; row < kAxisRow; ++row) rows->setRowStretchFactor(row, 0.001);  // just fit
  legend->setFillOrder(QCPLegend::foColumnsFirst);
  legend->setFont(plotFont(8));
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setIconSize(22, 8);
  legend->setMargins(QMargins(2, 0, 2, 0));
  legend->setRowSpacing(0);
  legend->setColumnSpacing(6);
  showLegend(false);
  // Right-click → Export Figure… (PDF, SVG or PNG at a chosen size, DPI and font).
  m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_plot, &QWidget::customContextMenuRequested, this, [this](const QPoint& at) {
    QMenu menu(this);
    menu.addAction(tr("Export Figure…"), this, [this] {
      QString name = m_titleText.simplified();
      name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
      exportPlotInteractively(*this, name.isEmpty() ? QStringLiteral("figure") : name, this);
    });
    menu.exec(m_plot->mapToGlobal(at));
  });
}

QColor PlotWidget::paletteColour(int index) {
  const auto n = static_cast<int>(kOkabeIto.size());
  return QColor::fromRgb(kOkabeIto[static_cast<std::size_t>(((index % n) + n) % n)]);
}

QCPScatterStyle PlotWidget::markerStyle(MarkerShape shape, const QColor& colour, double size) {
  const QPen pen(colour, 1.5);
  switch (shape) {
    case MarkerShape::Disc:
      return {QCPScatterStyle::ssDisc, pen, colour, size};
    case MarkerShape::Square:
      return {QCPScatterStyle::ssSquare, pen, colour, size * 0.9};
    case MarkerShape::Diamond:
      return {QCPScatterStyle::ssDiamond, pen, colour, size * 1.2};
    case MarkerShape::Triangle:
      return {QCPScatterStyle::ssTriangle, pen, colour, size * 1.1};
    case MarkerShape::TriangleDown:
      return {QCPScatterStyle::ssTriangleInverted, pen, colour, size * 1.1};
    case MarkerShape::Cross:
      return {QCPScatterStyle::ssCross, pen, Qt::NoBrush, size};
    case MarkerShape::Plus:
      return {QCPScatterStyle::ssPlus, pen, Qt::NoBrush, size * 1.1};
    case MarkerShape::Star:
      return {QCPScatterStyle::ssStar, pen, Qt::NoBrush, size * 1.2};
    case MarkerShape::Circle:
      return {QCPScatterStyle::ssCircle, pen, Qt::NoBrush, size};
  }
  return {QCPScatterStyle::ssDisc, pen, colour, size};
}

void PlotWidget::clearCanvas() {
  m_plot->clearPlottables();
  m_plot->clearItems();
  m_note->setText(QString());
}

void PlotWidget::setTitle(const std::string& title) {
  m_titleText = QString::fromStdString(title);
  m_title->setText(m_titleText);
}

void PlotWidget::styleAxis(QCPAxis* axis) {
  axis->setTickLabelFont(plotFont(8));
  axis->setLabelFont(plotFont(8.5));
  axis->setBasePen(QPen(QColor(110, 110, 110)));
  axis->setTickPen(QPen(QColor(110, 110, 110)));
  axis->setSubTickPen(QPen(QColor(150, 150, 150)));
  axis->grid()->setPen(QPen(QColor(225, 225, 225), 0, Qt::DotLine));
}

void PlotWidget::integerTicks(QCPAxis* axis) {
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  axis->setTicker(ticker);
  axis->setSubTicks(false);
}

void PlotWidget::setScale(QCPAxis* axis, bool log, int ticks) {
  axis->setSubTicks(true);
  if (log) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setSubTickCount(8);
    axis->setTicker(ticker);
    // Powers of ten: 10^k on values spanning decades, plain 1, 10, 100 on a token axis.
    const bool vertical = axis->orientation() == Qt::Vertical;
    axis->setNumberFormat(vertical ? QStringLiteral("eb") : QStringLiteral("g"));
    axis->setNumberPrecision(vertical ? 0 : 3);
  } else {
    axis->setScaleType(QCPAxis::stLinear);
    axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    axis->setNumberFormat(QStringLiteral("g"));
    axis->setNumberPrecision(3);
  }
  axis->ticker()->setTickCount(ticks);
}

void PlotWidget::styleAxes(QCPAxisRect* rect, const std::string& xLabel, const std::string& yLabel,
                           bool logX, bool logY) {
  for (QCPAxis* axis : rect->axes()) styleAxis(axis);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QString::fromStdString(xLabel));
  y->setLabel(QString::fromStdString(yLabel));
  setScale(x, logX, 6);
  setScale(y, logY, 5);
}

void PlotWidget::setNote(const std::string& note) { m_note->setText(QString::fromStdString(note)); }

void PlotWidget::addMarkers(const std::vector<Marker>& markers) {
  if (markers.empty()) return;
  const QPen pen(QColor(90, 90, 90), 1, Qt::DashLine);
  QCPAxis* x = m_plot->xAxis;
  const QCPRange range = x->range();
  // Where along the x axis (0 left, 1 right) a coordinate falls, on either scale.
  const auto fraction = [&](double coord) {
    if (x->scaleType() == QCPAxis::stLogarithmic && coord > 0 && range.lower > 0)
      return std::log(coord / range.lower) / std::log(range.upper / range.lower);
    return (coord - range.lower) / range.size();
  };
  // Labels share a row at the top unless they would touch; each row's right end so far.
  std::vector<double> rowEnds;
  for (const Marker& marker : markers) {
    auto* line = new QCPItemStraightLine(m_plot);
    line->setPen(pen);
    line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->point1->setCoords(marker.x, 0);
    line->point2->setCoords(marker.x, 1);
    const double at = fraction(marker.x);
    const bool rightHalf = at > kMarkerFlipFraction;  // label left of the line: stays inside
    const double from = rightHalf ? at - kMarkerLabelFraction : at;
    std::size_t row = 0;
    while (row < rowEnds.size() && rowEnds[row] > from) ++row;
    if (row == rowEnds.size()) rowEnds.push_back(0);
    rowEnds[row] = from + kMarkerLabelFraction;
    auto* label = new QCPItemText(m_plot);
    label->setText(QString::fromStdString(marker.label));
    label->setFont(plotFont(7.5));
    label->setColor(QColor(60, 60, 60));
    label->setBrush(QColor(255, 255, 255, 200));
    label->setPositionAlignment((rightHalf ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
    label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(marker.x, kMarkerRowFraction * (0.2 + static_cast<double>(row)));
    label->setPadding(QMargins(3, 1, 3, 1));
  }
  // Head room above the data for the label rows, so no label sits on a curve.
  const double room = kMarkerRowFraction * (0.4 + static_cast<double>(rowEnds.size()));
  QCPAxis* y = m_plot->yAxis;
  const QCPRange r = y->range();
  if (y->scaleType() == QCPAxis::stLogarithmic && r.lower > 0)
    y->setRangeUpper(r.lower * std::pow(r.upper / r.lower, 1 / (1 - room)));
  else
    y->setRangeUpper(r.lower + r.size() / (1 - room));
}

void PlotWidget::addSpans(const std::vector<Span>& spans) {
  for (const Span& span : spans) {
    auto* rect = new QCPItemRect(m_plot);
    rect->setLayer(QStringLiteral("grid"));
    rect->setPen(Qt::NoPen);
    rect->setBrush(QColor(0, 0, 0, 18));
    rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->topLeft->setCoords(span.from, 0);
    rect->bottomRight->setCoords(span.to, 1);
  }
}

void PlotWidget::showEmpty(const std::string& text, bool logX, bool logY) {
  m_plot->xAxis->setRange(logX ? 1 : 0, logX ? 10 : 1);
  m_plot->yAxis->setRange(logY ? 1 : 0, logY ? 10 : 1);
  auto* label = new QCPItemText(m_plot);
  label->setObjectName(QStringLiteral("emptyText"));
  label->setText(QString::fromStdString(text));
  label->setFont(plotFont(10));
  label->setColor(QColor(110, 110, 110));
  label->position->setType(QCPItemPosition::ptAxisRectRatio);
  label->position->setCoords(0.5, 0.5);
  label->setPositionAlignment(Qt::AlignCenter);
}

void PlotWidget::showLegend(bool visible, int columns) {
  QCPLegend* legend = m_plot->legend;
  legend->setVisible(visible);
  if (visible && !m_legendRow->hasElement(0, 0)) m_legendRow->addElement(0, 0, legend);
  if (!visible && m_legendRow->hasElement(0, 0)) m_legendRow->take(legend);
  m_plot->legend->setWrap(columns);
  m_plot->legend->setFillOrder(QCPLegend::foColumnsFirst, true);
  // One legend row got the text's height without its descent: ask for the full line height.
  const int items = m_plot->legend->itemCount();
  const int rows = columns <= 0 ? 1 : (items + columns - 1) / columns;  // wrap 0: one row
  m_plot->legend->setMinimumSize(0, rows * (QFontMetrics(plotFont(8)).height() + 10));
}

void PlotWidget::replot() { m_plot->replot(QCustomPlot::rpQueuedReplot); }

}  // namespace kvwb::widgets
