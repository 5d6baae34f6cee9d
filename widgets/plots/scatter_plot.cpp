// ScatterPlot: each series' points as a line-less QCPCurve (data index = point index, as curves
// keep the given order by their t parameter) with ± standard-error bars where the points have
// them, fronts as curves with lines.
#include "widgets/plots/scatter_plot.h"

#include <QToolTip>
#include <cmath>

#include "widgets/plots/qcustomplot_include.h"

namespace kvwb::widgets {
namespace {

constexpr const char* kLineMarkerLayer = "lineMarkers";  // above "main"

QCPCurve* addCurve(QCustomPlot* plot, const std::vector<ScatterPoint>& points) {
  auto* curve = new QCPCurve(plot->xAxis, plot->yAxis);
  QVector<double> t, x, y;
  for (std::size_t i = 0; i < points.size(); ++i) {
    t << static_cast<double>(i);
    x << points[i].x;
    y << points[i].y;
  }
  curve->setData(t, x, y, true);
  return curve;
}

// Labelled ticks at 1, 2 and 5 times powers of ten (50k, 1M for bytes) on a log axis spanning a few
// decades, where QCPAxisTickerLog falls back to linear ticks that leave the lower part unlabelled.
void oneTwoFiveTicks(QCPAxis* axis) {
  const QCPRange r = axis->range();
  if (r.lower <= 0 || r.upper / r.lower > 1e4) return;  // the log ticker's powers of ten suit
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (double decade = std::pow(10.0, std::floor(std::log10(r.lower))); decade <= r.upper;
       decade *= 10)
    for (const double m : {1.0, 2.0, 5.0}) {
      const double v = m * decade;
      if (v < r.lower || v > r.upper) continue;
      ticker->addTick(v, v >= 1e6   ? QString::number(v / 1e6, 'g', 3) + QLatin1Char('M')
                         : v >= 1e3 ? QString::number(v / 1e3, 'g', 3) + QLatin1Char('k')
                                    : QString::number(v, 'g', 3));
    }
  axis->setTicker(ticker);
  axis->setSubTicks(false);
}

// Vertical ± one-standard-error bars on a series' points where they have them.
void addErrorBars(QCPCurve* points, const std::vector<ScatterPoint>& data, const QColor& colour) {
  QVector<double> errors;
  bool any = false;
  for (const ScatterPoint& p : data) {
    const bool has = std::isfinite(p.yError);
    errors << (has ? p.yError : 0.0);
    any = any || has;
  }
  if (!any) return;
  auto* bars = new QCPErrorBars(points->keyAxis(), points->valueAxis());
  bars->removeFromLegend();
  bars->setDataPlottable(points);
  bars->setData(errors);
  bars->setPen(QPen(colour, 1));
  bars->setWhiskerWidth(5);
  bars->setSelectable(QCP::stNone);
}

}  // namespace

ScatterPlot::ScatterPlot(QWidget* parent) : PlotWidget(parent) {
  // Line-shaped markers draw above filled ones: two methods' points on one spot stay visible.
  canvas()->addLayer(QLatin1String(kLineMarkerLayer), canvas()->layer(QStringLiteral("main")),
                     QCustomPlot::limAbove);
  canvas()->setMouseTracking(true);
  connect(canvas(), &QCustomPlot::mouseMove, this, &ScatterPlot::onMouseMove);
  connect(canvas(), &QCustomPlot::plottableClick, this,
          [this](QCPAbstractPlottable*, int, QMouseEvent* event) { onClick(event); });
}

void ScatterPlot::setChart(const ScatterChart& chart) {
  m_chart = chart;
  m_seriesOf.clear();
  clearCanvas();
  QCustomPlot* plot = canvas();
  styleAxes(plot->axisRect(), chart.xLabel, chart.yLabel, chart.logX, chart.logY);
  if (!chart.overallFront.empty()) {
    auto* overall = addCurve(plot, chart.overallFront);
    overall->setName(tr("overall front"));
    overall->setPen(QPen(QColor(40, 40, 40), 1.4, Qt::DashLine));
    overall->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(40, 40, 40), 1.4), Qt::NoBrush, 11));
    overall->setSelectable(QCP::stNone);
  }
  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const ScatterSeries& series = chart.series[s];
    const QColor colour = paletteColour(series.colour);
    const bool fronts = !series.front.empty();
    QColor faded = colour;
    faded.setAlpha(fronts ? 110 : 190);
    auto* points = addCurve(plot, series.points);
    points->setName(QString::fromStdString(series.label));
    points->setLineStyle(QCPCurve::lsNone);
    points->setScatterStyle(markerStyle(series.shape, faded, 7));
    if (!isFilled(series.shape)) points->setLayer(QLatin1String(kLineMarkerLayer));
    points->setSelectable(QCP::stSingleData);
    points->setSelectionDecorator(nullptr);  // a click selects a fit, not a highlight
    m_seriesOf[points] = static_cast<int>(s);
    addErrorBars(points, series.points, faded);
    if (!fronts) continue;
    std::vector<ScatterPoint> front;
    for (std::size_t i : series.front) front.push_back(series.points[i]);
    auto* line = addCurve(plot, front);
    line->setName(points->name());  // the legend shows the front: full colour, as drawn
    line->setPen(QPen(colour, 1.6));
    line->setScatterStyle(markerStyle(series.shape, colour, 9));
    if (!isFilled(series.shape)) line->setLayer(QLatin1String(kLineMarkerLayer));
    line->setSelectable(QCP::stNone);
    points->removeFromLegend();
  }
  if (chart.series.empty()) {
    showEmpty("no results yet", chart.logX, chart.logY);
  } else {
    plot->rescaleAxes();
    // 6 % around the points; one value on an axis gets ±10 % of it (±1 around 0).
    const auto pad = [](QCPAxis* axis, bool log) {
      const QCPRange r = axis->range();
      const double half = r.size() > 0 ? 0.06 * r.size() : r.lower != 0 ? 0.1 * std::abs(r.lower) : 1.0;
      if (log)
        axis->setRange(r.lower / 1.25, r.upper * 1.25);
      else
        axis->setRange(r.lower - half, r.upper + half);
    };
    pad(plot->xAxis, chart.logX);
    pad(plot->yAxis, chart.logY);
    if (chart.logX) oneTwoFiveTicks(plot->xAxis);
    if (chart.logY) oneTwoFiveTicks(plot->yAxis);
  }
  setTitle(chart.title);
  setNote(chart.series.empty() ? "" : chart.note);
  const auto entries = static_cast<int>(chart.series.size()) + (chart.overallFront.empty() ? 0 : 1);
  showLegend(entries > 0, entries > 7 ? 7 : 0);
  replot();
}

QPointF ScatterPlot::pointPosition(int series, int index) const {
  const ScatterPoint& p = m_chart.series.at(static_cast<std::size_t>(series))
                              .points.at(static_cast<std::size_t>(index));
  return {canvas()->xAxis->coordToPixel(p.x), canvas()->yAxis->coordToPixel(p.y)};
}

const ScatterPoint* ScatterPlot::pointAt(const QPointF& pos) const {
  int index = -1;
  QCPAbstractPlottable* plottable = canvas()->plottableAt(pos, true, &index);
  const auto it = m_seriesOf.find(plottable);
  if (it == m_seriesOf.end() || index < 0) return nullptr;
  return &m_chart.series[static_cast<std::size_t>(it->second)].points[static_cast<std::size_t>(index)];
}

void ScatterPlot::onMouseMove(QMouseEvent* event) {
  const ScatterPoint* p = pointAt(event->position());
  if (p)
    QToolTip::showText(event->globalPosition().toPoint(), QString::fromStdString(p->tooltip), canvas());
  else
    QToolTip::hideText();
}

void ScatterPlot::onClick(QMouseEvent* event) {
  // Looked up again among the point curves only: a front line drawn on top may have been hit.
  const ScatterPoint* p = pointAt(event->position());
  if (!p) return;
  Q_EMIT fitSelected(QString::fromStdString(p->fit.runId), p->fit.layer, p->fit.head,
                     QString::fromStdString(p->fit.kind), QString::fromStdString(p->fit.paramsJson));
}

}  // namespace kvwb::widgets
