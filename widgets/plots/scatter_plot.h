// Points of result rows, one colour per method, with optional Pareto fronts (each method's as a
// solid line through its front points, the overall one dashed); hovering shows a point's method,
// target and parameters, clicking one emits fitSelected. Serves the Pareto and the scatter views.
// GUI thread only.
#pragma once

#include <QPointF>
#include <QString>
#include <map>

#include "widgets/pareto.h"
#include "widgets/plots/plot_widget.h"

class QCPAbstractPlottable;
class QMouseEvent;

namespace kvwb::widgets {

class ScatterPlot : public PlotWidget {
  Q_OBJECT

 public:
  explicit ScatterPlot(QWidget* parent = nullptr);

  void setChart(const ScatterChart& chart);  // replaces everything shown
  const ScatterChart& chart() const { return m_chart; }
  // The widget position (canvas coordinates) of a series' point, for tests and tooltips.
  QPointF pointPosition(int series, int index) const;

 Q_SIGNALS:
  void fitSelected(const QString& runId, int layer, int head, const QString& kind,
                   const QString& paramsJson);

 private:
  const ScatterPoint* pointAt(const QPointF& pos) const;  // the point under the mouse, or null
  void onMouseMove(QMouseEvent* event);
  void onClick(QMouseEvent* event);

  ScatterChart m_chart;
  std::map<const QCPAbstractPlottable*, int> m_seriesOf;  // point curves -> series index
};

}  // namespace kvwb::widgets
