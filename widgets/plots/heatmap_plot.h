// A layer x head heatmap of one scalar: one or more panels (K and V side by side, or their
// difference) sharing a colour scale; hovering shows layer/head/value, clicking a cell emits
// targetSelected. GUI thread only.
#pragma once

#include <QPoint>
#include <optional>
#include <vector>

#include "widgets/plots/plot_widget.h"

class QCPAxisRect;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPLayoutGrid;
class QCPMarginGroup;
class QMouseEvent;

namespace kvwb::widgets {

class HeatmapPlot : public PlotWidget {
  Q_OBJECT

 public:
  explicit HeatmapPlot(QWidget* parent = nullptr);

  void setData(const HeatmapData& data);  // keeps the selected cell when it still exists
  const HeatmapData& data() const { return m_data; }
  void setSelectedCell(int layer, int head);  // outlines the cell in every panel
  // The centre of a cell in canvas() coordinates, from the panel's axes; valid once the canvas
  // has been laid out (shown and replotted).
  QPoint cellPosition(int panel, int layer, int head) const;

 Q_SIGNALS:
  void targetSelected(int layer, int head, int kind);

 private:
  struct Cell {
    int panel, layer, head;
  };
  std::optional<Cell> cellAt(const QPoint& pos) const;
  void rebuildPanels(std::size_t count);
  void markSelection();
  void onMouseMove(QMouseEvent* event);
  void onMouseRelease(QMouseEvent* event);

  HeatmapData m_data;
  QCPLayoutGrid* m_grid;
  QCPColorScale* m_scale;
  QCPMarginGroup* m_margins;
  std::vector<QCPAxisRect*> m_rects;  // one per panel
  std::vector<QCPColorMap*> m_maps;
  std::vector<QCPItemRect*> m_marks;  // the selected cell's outline, two per panel
  QPoint m_pressPos;
  int m_selectedLayer = -1, m_selectedHead = -1;
};

}  // namespace kvwb::widgets
