// Bars over x, overlaid or grouped side by side, with shaded spans and marker lines (per-dimension
// magnitudes, attention sinks, dimension sensitivity). GUI thread only.
#pragma once

#include "widgets/plots/plot_widget.h"

class QCPBarsGroup;

namespace kvwb::widgets {

class BarPlot : public PlotWidget {
  Q_OBJECT

 public:
  explicit BarPlot(QWidget* parent = nullptr);

  void setChart(const BarChart& chart);  // replaces everything shown
  const BarChart& chart() const { return m_chart; }

 private:
  BarChart m_chart;
  QCPBarsGroup* m_group;  // places grouped sets side by side; owned by the canvas
};

}  // namespace kvwb::widgets
