// The structure atlas of one capture (core::CaptureAnalysis, already in memory) sliced into plot
// data: layer x head heatmaps of a structure scalar, the per-target charts of the drill-down grid
// (drillDownPlots(): one entry per plot) and layer profiles over several captures. Plain C++
// (no Qt); const methods are safe from any thread.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/analysis/capture_analysis.h"
#include "widgets/plots/plot_data.h"

namespace kvwb::widgets {

// One analysed target: kind indexes CaptureAnalysis::kinds.
struct AtlasTarget {
  int layer = 0, head = 0, kind = 0;
};

enum class HeatmapMode { SideBySide, Difference };  // every kind's panel, or K − V
enum class Spread { MinMax, StdDev };               // the band of a layer profile

struct DrillDownPlot;

class AtlasData {
 public:
  // `label`: how the capture is named in overlays (its prompt label, see displayLabel()).
  AtlasData(std::shared_ptr<const core::CaptureAnalysis> analysis, std::string label);

  const core::CaptureAnalysis& analysis() const { return *m_analysis; }
  const std::string& label() const { return m_label; }
  // The capture's "prompt_label" metadata, else its name.
  static std::string displayLabel(const core::CaptureInfo& capture);

  bool contains(const AtlasTarget& target) const;  // a valid (layer, head, kind) of this atlas
  double scalar(core::StructureScalar metric, const AtlasTarget& target) const;
  HeatmapData heatmap(core::StructureScalar metric, HeatmapMode mode) const;

  // The chart of drill-down plot `plot` for `target`, titled by the plot's entry.
  std::variant<LineChart, BarChart> drillDown(const DrillDownPlot& plot,
                                              const AtlasTarget& target) const;

  // Per-target charts (untitled: drillDownPlots() names them); the curves show every kind of
  // the target's (layer, head).
  LineChart autocorrelation(const AtlasTarget& target) const;
  LineChart spectrum(const AtlasTarget& target) const;  // markers: the low-frequency cutoffs
  LineChart singularValues(const AtlasTarget& target) const;
  BarChart dimensionMagnitudes(const AtlasTarget& target) const;   // RoPE pairs shaded (keys)
  BarChart attentionSinks(const AtlasTarget& target) const;        // no sets without queries
  BarChart dimensionSensitivity(const AtlasTarget& target) const;  // no sets without queries

 private:
  // The last axis of array `name` at [layer, head, kind].
  std::span<const float> row(const std::string& name, int layer, int head, int kind) const;
  std::size_t targetIndex(const AtlasTarget& target) const;

  std::shared_ptr<const core::CaptureAnalysis> m_analysis;
  std::string m_label;
  std::vector<core::TargetScalars> m_scalars;  // [target index], computed once
};

using LineChartMethod = LineChart (AtlasData::*)(const AtlasTarget&) const;
using BarChartMethod = BarChart (AtlasData::*)(const AtlasTarget&) const;

// A per-target plot of the atlas's drill-down grid. A new plot is one drillDownPlots() entry plus
// the AtlasData method that makes its chart.
struct DrillDownPlot {
  const char* id;     // the object name of its plot widget
  const char* title;  // the chart's title
  std::variant<LineChartMethod, BarChartMethod> chart;  // the method; its kind of chart
  const char* needs;  // the analysis array it needs (hidden without it), nullptr if none
};

// In grid order: left to right, then top to bottom.
std::span<const DrillDownPlot> drillDownPlots();

// What a layer profile singles out: the capture whose spread is drawn when several are overlaid
// (none: no bands, the lines alone), and the layer marked as selected (-1: none).
struct ProfileFocus {
  const AtlasData* capture = nullptr;
  int layer = -1;
};

// `metric` across layers for each capture and kind K and V: the mean over heads as a line, the
// spread over heads as a band (one capture's only, when there are several). Colours follow the
// capture when there are several, else the kind; captures sharing a label are named by capture.
LineChart layerProfile(const std::vector<const AtlasData*>& atlases, core::StructureScalar metric,
                       Spread spread, const ProfileFocus& focus = {});

}  // namespace kvwb::widgets
