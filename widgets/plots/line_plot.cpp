// LinePlot: a LineChart as QCPGraphs (bands as a graph pair with a channel fill).
#include "widgets/plots/line_plot.h"

#include <algorithm>
#include <cmath>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {

constexpr std::size_t kSmoothPoints = 400;
constexpr int kBandFillAlpha = 28;
constexpr int kBandEdgeAlpha = 110;
namespace {

// Values a log axis cannot show become gaps.
QVector<double> plottable(const std::vector<double>& y, bool logY) {
  QVector<double> out(static_cast<qsizetype>(y.size()));
  for (std::size_t i = 0; i < y.size(); ++i)
    out[static_cast<qsizetype>(i)] = logY && !(y[i] > 0) ? std::nan("") : y[i];
  return out;
}

QVector<double> toVector(const std::vector<double>& v) { return {v.begin(), v.end()}; }

}  // namespace

LinePlot::LinePlot(QWidget* parent) : PlotWidget(parent) {}

void LinePlot::setChart(const LineChart& chart) {
  m_chart = chart;
  clearCanvas();
  QCustomPlot* plot = canvas();
  styleAxes(plot->axisRect(), chart.xLabel, chart.yLabel, chart.logX, chart.logY);
  if (chart.integerX) integerTicks(plot->xAxis);
  for (const Band& band : chart.bands) {
    // A light fill inside a thin outline: overlapping bands stay tellable apart.
    QColor fill = paletteColour(band.colour);
    fill.setAlpha(kBandFillAlpha);
    QColor edge = paletteColour(band.colour);
    edge.setAlpha(kBandEdgeAlpha);
    const QPen outline(edge, 0.8);
    auto* low = plot->addGraph();
    low->setPen(outline);
    low->setData(toVector(band.x), plottable(band.low, chart.logY), true);
    low->removeFromLegend();
    auto* high = plot->addGraph();
    high->setPen(outline);
    high->setBrush(fill);
    high->setChannelFillGraph(low);
    high->setData(toVector(band.x), plottable(band.high, chart.logY), true);
    high->removeFromLegend();
  }
  for (const Series& s : chart.series) {
    auto* graph = plot->addGraph();
    graph->setName(QString::fromStdString(s.label));
    const bool dense = s.x.size() > kSmoothPoints;
    graph->setPen(QPen(paletteColour(s.colour), dense ? 1.0 : 1.8, s.dashed ? Qt::DashLine : Qt::SolidLine));
    graph->setData(toVector(s.x), plottable(s.y, chart.logY), true);
    // Long series (a 2048-token spectrum) draw thin and unsmoothed: wide antialiased strokes of
    // thousands of points dominated the click-to-plots time at Llama-8B sizes.
    graph->setAntialiased(!dense);
    if (!s.inLegend) graph->removeFromLegend();
    if (s.marker)
      graph->setScatterStyle(markerStyle(*s.marker, paletteColour(s.colour), 8));
    else if (s.x.size() <= 40)
      graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, paletteColour(s.colour), 4));
  }
  if (!chart.xTickLabels.empty()) {
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (std::size_t i = 0; i < chart.xTickLabels.size(); ++i)
      ticker->addTick(static_cast<double>(i), QString::fromStdString(chart.xTickLabels[i]));
    plot->xAxis->setTicker(ticker);
    plot->xAxis->setSubTicks(false);
  }
  if (chart.series.empty() && chart.bands.empty()) {
    showEmpty(chart.emptyText, chart.logX, chart.logY);
  } else {
    plot->rescaleAxes();
    QCPAxis* y = plot->yAxis;
    if (chart.logY) {
      const QCPRange r = y->range();
      y->setRange(r.lower / 1.5, r.upper * 1.5);
    } else {
      y->scaleRange(1.1, y->range().center());
    }
    if (chart.logX)
      plot->xAxis->setRange(plot->xAxis->range().lower / 1.1, plot->xAxis->range().upper * 1.1);
    if (!chart.xTickLabels.empty())  // room for the outer labels
      plot->xAxis->setRange(-0.4, static_cast<double>(chart.xTickLabels.size()) - 0.6);
  }
  setTitle(chart.title);
  setNote(chart.note);
  addMarkers(chart.markers);
  const auto entries = std::count_if(chart.series.begin(), chart.series.end(),
                                     [](const Series& s) { return s.inLegend; });
  showLegend(entries > 1, entries > 3 ? 3 : 0);
  replot();
}

}  // namespace kvwb::widgets
