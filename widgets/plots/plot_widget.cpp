// PlotWidget: the shared QCustomPlot setup (layout, fonts, palette, markers) of the plot widgets.
#include "widgets/plots/plot_widget.h"

#include "widgets/plots/qcustomplot_include.h"

#include <QVBoxLayout>
#include <array>

namespace kvwb::widgets {
namespace {

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

PlotWidget::PlotWidget(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  m_plot->setMinimumSize(220, 160);
  m_plot->setAntialiasedElements(QCP::aeAll);
  m_plot->setNoAntialiasingOnDrag(true);
  m_plot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_plot, QString(), plotFont(9.5, true));
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->legend->setFont(plotFont(8));
  m_plot->legend->setBrush(QColor(255, 255, 255, 210));
  m_plot->legend->setBorderPen(QPen(QColor(190, 190, 190)));
  m_plot->legend->setIconSize(18, 8);
  m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

QColor PlotWidget::paletteColour(int index) {
  const auto n = static_cast<int>(kOkabeIto.size());
  return QColor::fromRgb(kOkabeIto[static_cast<std::size_t>(((index % n) + n) % n)]);
}

void PlotWidget::clearCanvas() {
  m_plot->clearPlottables();
  m_plot->clearItems();
}

void PlotWidget::setTitle(const std::string& title) {
  m_title->setText(QString::fromStdString(title));
}

void PlotWidget::styleAxis(QCPAxis* axis) {
  axis->setTickLabelFont(plotFont(8));
  axis->setLabelFont(plotFont(8.5));
  axis->setBasePen(QPen(QColor(110, 110, 110)));
  axis->setTickPen(QPen(QColor(110, 110, 110)));
  axis->setSubTickPen(QPen(QColor(150, 150, 150)));
  axis->grid()->setPen(QPen(QColor(225, 225, 225), 0, Qt::DotLine));
}

void PlotWidget::styleAxes(QCPAxisRect* rect, const std::string& xLabel, const std::string& yLabel,
                           bool logY) {
  for (QCPAxis* axis : rect->axes()) styleAxis(axis);
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(QString::fromStdString(xLabel));
  y->setLabel(QString::fromStdString(yLabel));
  x->ticker()->setTickCount(6);
  if (logY) {
    y->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setSubTickCount(8);
    y->setTicker(ticker);
    y->setNumberFormat(QStringLiteral("eb"));
    y->setNumberPrecision(0);
  } else {
    y->setScaleType(QCPAxis::stLinear);
    y->setTicker(QSharedPointer<QCPAxisTicker>::create());
    y->setNumberFormat(QStringLiteral("g"));
    y->setNumberPrecision(3);
  }
  y->ticker()->setTickCount(5);
}

void PlotWidget::addNote(const std::string& note) {
  if (note.empty()) return;
  m_title->setText(m_title->text() + QLatin1Char('\n') + QString::fromStdString(note));
}

void PlotWidget::addMarkers(const std::vector<Marker>& markers) {
  const QPen pen(QColor(90, 90, 90), 1, Qt::DashLine);
  for (std::size_t i = 0; i < markers.size(); ++i) {
    auto* line = new QCPItemStraightLine(m_plot);
    line->setPen(pen);
    line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->point1->setCoords(markers[i].x, 0);
    line->point2->setCoords(markers[i].x, 1);
    auto* label = new QCPItemText(m_plot);
    label->setText(QString::fromStdString(markers[i].label));
    label->setFont(plotFont(7.5));
    label->setColor(QColor(60, 60, 60));
    label->setBrush(QColor(255, 255, 255, 200));
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(markers[i].x, 0.02 + 0.09 * static_cast<double>(i % 4));
    label->setPadding(QMargins(3, 1, 3, 1));
  }
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

void PlotWidget::showLegend(bool visible) { m_plot->legend->setVisible(visible); }

void PlotWidget::replot() { m_plot->replot(QCustomPlot::rpQueuedReplot); }

}  // namespace kvwb::widgets
