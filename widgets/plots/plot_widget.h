// The base of every plot widget in widgets/plots: owns one QCustomPlot (not inherited) with the
// workbench's fonts, a title row, a note row and a legend row (never over the data),
// marker lines and the colour-blind-safe Okabe-Ito palette. GUI thread only.
#pragma once

#include <QColor>
#include <QWidget>
#include <string>
#include <vector>

#include "widgets/plots/plot_data.h"

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPLayoutGrid;
class QCPScatterStyle;
class QCPTextElement;

namespace kvwb::widgets {

class PlotWidget : public QWidget {
  Q_OBJECT

 public:
  QCustomPlot* canvas() const { return m_plot; }
  static QColor paletteColour(int index);  // Okabe-Ito, cycling; index 0 is blue
  // A point marker of `shape`: filled shapes filled with `colour`, line shapes drawn in it.
  static QCPScatterStyle markerStyle(MarkerShape shape, const QColor& colour, double size);
  static constexpr int kAxisRow = 3;       // the plot layout row of the axis rect

 protected:
  explicit PlotWidget(QWidget* parent = nullptr);

  // Removes every plottable and item and the note, leaving the title, note, legend and axis rect
  // rows (subclasses may replace the axis rect at row kAxisRow).
  void clearCanvas();
  void setTitle(const std::string& title);
  static void styleAxis(QCPAxis* axis);     // fonts and pens
  static void integerTicks(QCPAxis* axis);  // ticks on whole numbers (layers, heads) only
  // Axis labels, the log or linear y scale, and readable ticks on `rect`.
  void styleAxes(QCPAxisRect* rect, const std::string& xLabel, const std::string& yLabel,
                 bool logX = false, bool logY = false);
  void setNote(const std::string& note);                // small grey text under the title
  // Dashed vertical lines labelled in rows at the top, with head room made above the data for them
  // (call after the axis ranges are set).
  void addMarkers(const std::vector<Marker>& markers);
  void addSpans(const std::vector<Span>& spans);        // light grey x intervals, behind the data
  // Nothing to draw: `text` in the middle of a 0..1 (log: 1..10) frame instead of a range
  // made up from no data.
  void showEmpty(const std::string& text, bool logX = false, bool logY = false);
  void showLegend(bool visible, int columns = 0);  // columns: wrap after this many (0: one row)
  void replot();  // queued: merges bursts of updates into one repaint

 private:
  QCustomPlot* m_plot;
  static void setScale(QCPAxis* axis, bool log, int ticks);  // linear or log, with its ticker

  QCPTextElement* m_title;
  QString m_titleText;  // in full (the element shows it fitted to the plot's width)
  QCPTextElement* m_note;
  QCPLayoutGrid* m_legendRow;  // holds the legend while it is shown
};

}  // namespace kvwb::widgets
