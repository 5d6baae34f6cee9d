// The keep map of an eviction job: targets (rows) x token positions, kept tokens in the kept
// colour and evicted ones light grey (sinks show as a column at the left, the recent window as a
// band at the right), the selected row named at its right edge, and under it, on the same token
// axis, the attention each token receives as bars (log scale; kept or highlighted ones in the kept
// colour). Clicking a row emits rowSelected; hovering names the target and the token. GUI thread
// only.
#pragma once

#include <QPoint>
#include <optional>

#include "widgets/plots/plot_widget.h"

class QCPAxisRect;
class QCPColorMap;
class QCPItemRect;
class QCPMarginGroup;
class QMouseEvent;

namespace kvwb::widgets {

class KeepMapPlot : public PlotWidget {
  Q_OBJECT

 public:
  explicit KeepMapPlot(QWidget* parent = nullptr);

  static QColor keptColour();     // Okabe-Ito blue
  static QColor evictedColour();  // light grey (the map; bars use a darker grey)

  void setMap(const KeepMapChart& chart);  // clears the selection
  const KeepMapChart& map() const { return m_map; }
  void setAttention(const KeepAttentionChart& chart);
  const KeepAttentionChart& attention() const { return m_attention; }
  void setSelectedRow(int row);  // outlined; -1: none
  int selectedRow() const { return m_selected; }
  // The centre of a row in canvas() coordinates (valid once laid out), for tests and tools.
  QPoint rowPosition(int row) const;
  // The rows labelled on the map's axis as it is laid out now.
  QStringList rowTickLabels() const;

 Q_SIGNALS:
  void rowSelected(int row);

 private:
  std::optional<int> rowAt(const QPoint& pos) const;
  std::optional<int> tokenAt(const QCPAxisRect* rect, const QPoint& pos) const;
  void relabelRows();  // after a layout: as many row labels as the map's height has room for
  void applyRowLabels();
  void markSelection();
  void onMouseMove(QMouseEvent* event);
  void onMouseRelease(QMouseEvent* event);

  KeepMapChart m_map;
  KeepAttentionChart m_attention;
  QCPAxisRect* m_mapRect;
  QCPAxisRect* m_attentionRect;
  QCPMarginGroup* m_margins;
  QCPColorMap* m_colours = nullptr;
  std::vector<QCPItemRect*> m_marks;  // the selected row's outline: a black and a white line
  int m_selected = -1;
  int m_labelStep = -1;  // 0: every row labelled, n: every n-th short label; -1: not laid out
  bool m_outlined = false;  // rows are tall enough for the selected row's outline
  QPoint m_pressPos;
};

}  // namespace kvwb::widgets
