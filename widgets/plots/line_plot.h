// Curves over x with optional filled bands, marker lines and a log y scale (autocorrelation,
// spectrum, singular values, layer profiles). GUI thread only.
#pragma once

#include "widgets/plots/plot_widget.h"

namespace kvwb::widgets {

class LinePlot : public PlotWidget {
  Q_OBJECT

 public:
  explicit LinePlot(QWidget* parent = nullptr);

  void setChart(const LineChart& chart);  // replaces everything shown
  const LineChart& chart() const { return m_chart; }

 private:
  LineChart m_chart;
};

}  // namespace kvwb::widgets
