// The structure atlas of one capture: a layer x head heatmap of the chosen structure scalar (menu:
// core::structureScalars()) with its layer profile (every analysed capture overlaid), and the
// drill-down grid of the clicked cell (one plot per drillDownPlots() entry). GUI thread only;
// everything shown is sliced from AtlasData already in memory.
#pragma once

#include <QWidget>
#include <memory>
#include <vector>

#include "widgets/atlas_data.h"

class QComboBox;
class QLabel;

namespace kvwb::widgets {

class HeatmapPlot;
class LinePlot;
class PlotWidget;

class AtlasView : public QWidget {
  Q_OBJECT

 public:
  explicit AtlasView(QWidget* parent = nullptr);

  // Shows `atlas`; `overlay` (every analysed capture of the project, `atlas` among them) feeds the
  // layer profile. Keeps the metric and, when it still exists, the selected target.
  void setAtlas(std::shared_ptr<const AtlasData> atlas,
                std::vector<std::shared_ptr<const AtlasData>> overlay);
  void setOverlay(std::vector<std::shared_ptr<const AtlasData>> overlay);
  const AtlasData* atlas() const { return m_atlas.get(); }

  void selectTarget(const AtlasTarget& target);  // updates the heatmap mark and every target plot
  const AtlasTarget& target() const { return m_target; }
  void setMetric(core::StructureScalar metric);
  core::StructureScalar metric() const;

 Q_SIGNALS:
  void targetSelected(int layer, int head, int kind);

 private:
  void showHeatmap();
  void showProfile();
  void showTarget();

  std::shared_ptr<const AtlasData> m_atlas;
  std::vector<std::shared_ptr<const AtlasData>> m_overlay;
  AtlasTarget m_target;
  QLabel* m_title;
  QLabel* m_targetLabel;
  QComboBox* m_metric;
  QComboBox* m_mode;
  QComboBox* m_spread;
  HeatmapPlot* m_heatmap;
  LinePlot* m_profile;
  std::vector<PlotWidget*> m_targetPlots;  // one per drillDownPlots() entry, in its order
};

}  // namespace kvwb::widgets
