// The base of every plot widget in widgets/plots: owns one QCustomPlot (not inherited) with the
// workbench's fonts, a title row, a corner note, marker lines and the colour-blind-safe Okabe-Ito
// palette. GUI thread only.
#pragma once

#include <QColor>
#include <QWidget>
#include <string>
#include <vector>

#include "widgets/plots/plot_data.h"

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPTextElement;

namespace kvwb::widgets {

class PlotWidget : public QWidget {
  Q_OBJECT

 public:
  QCustomPlot* canvas() const { return m_plot; }
  static QColor paletteColour(int index);  // Okabe-Ito, cycling; index 0 is blue

 protected:
  explicit PlotWidget(QWidget* parent = nullptr);

  // Removes every plottable and item, leaving the title row and the default axis rect.
  void clearCanvas();
  void setTitle(const std::string& title);
  static void styleAxis(QCPAxis* axis);  // fonts and pens
  // Axis labels, the log or linear y scale, and readable ticks on `rect`.
  void styleAxes(QCPAxisRect* rect, const std::string& xLabel, const std::string& yLabel,
                 bool logY = false);
  void addNote(const std::string& note);                 // top-right corner of the axis rect
  void addMarkers(const std::vector<Marker>& markers);  // dashed vertical lines, labelled on top
  void addSpans(const std::vector<Span>& spans);        // light grey x intervals, behind the data
  void showLegend(bool visible);
  void replot();  // queued: merges bursts of updates into one repaint

 private:
  QCustomPlot* m_plot;
  QCPTextElement* m_title;
};

}  // namespace kvwb::widgets
