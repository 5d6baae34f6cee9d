// BarPlot: a BarChart as QCPBars (a QCPBarsGroup when grouped).
#include "widgets/plots/bar_plot.h"

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {

constexpr std::size_t kDenseBars = 256;
constexpr std::size_t kSmoothBars = 32;

BarPlot::BarPlot(QWidget* parent) : PlotWidget(parent), m_group(new QCPBarsGroup(canvas())) {}

void BarPlot::setChart(const BarChart& chart) {
  m_chart = chart;
  clearCanvas();
  QCustomPlot* plot = canvas();
  styleAxes(plot->axisRect(), chart.xLabel, chart.yLabel);
  const QVector<double> x(chart.x.begin(), chart.x.end());
  const double slot =
      chart.grouped ? 0.8 / static_cast<double>(std::max<std::size_t>(1, chart.sets.size())) : 0.8;
  // Hundreds of bars (a 2048-token sink chart) draw as impulses: one line each instead of a
  // filled polygon each keeps a click-to-plots redraw well under 100 ms at Llama-8B sizes.
  const bool dense = chart.x.size() > kDenseBars;
  for (const BarSet& set : chart.sets) {
    if (dense) {
      auto* graph = plot->addGraph();
      graph->setName(QString::fromStdString(set.label));
      graph->setLineStyle(QCPGraph::lsImpulse);
      graph->setPen(QPen(paletteColour(set.colour), 1.0));
      graph->setAntialiased(false);
      graph->setData(x, QVector<double>(set.values.begin(), set.values.end()), true);
      continue;
    }
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setName(QString::fromStdString(set.label));
    bars->setWidth(slot);
    bars->setPen(Qt::NoPen);
    bars->setBrush(paletteColour(set.colour));
    bars->setAntialiased(chart.x.size() <= kSmoothBars);  // crisp and fast when bars are thin
    bars->setData(x, QVector<double>(set.values.begin(), set.values.end()), true);
    if (chart.grouped) bars->setBarsGroup(m_group);
  }
  plot->rescaleAxes();
  if (!chart.x.empty()) plot->xAxis->setRange(chart.x.front() - 0.7, chart.x.back() + 0.7);
  plot->yAxis->setRangeLower(0);
  plot->yAxis->setRangeUpper(plot->yAxis->range().upper * 1.12);
  setTitle(chart.title);
  setNote(chart.note);
  addSpans(chart.shaded);
  addMarkers(chart.markers);
  showLegend(chart.sets.size() > 1);
  replot();
}

}  // namespace kvwb::widgets
