// Plain data the plot widgets draw: std types only, built by the atlas data layer on any thread and
// handed to a plot widget on the GUI thread. No Qt, no QCustomPlot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvwb::widgets {

// The shape of a point marker (a method's, method_style.h).
enum class MarkerShape { Disc, Square, Diamond, Triangle, TriangleDown, Cross, Plus, Star, Circle };
// Filled shapes hide what lies below them; line shapes (cross, plus, star, circle) do not.
constexpr bool isFilled(MarkerShape shape) { return shape <= MarkerShape::TriangleDown; }

// One curve; NaN y values leave gaps. `colour` indexes the Okabe-Ito palette (plot_widget.h).
struct Series {
  std::vector<double> x, y;
  std::string label;
  int colour = 0;
  bool dashed = false;
  bool inLegend = true;
  // Set: every point drawn large in this shape (a method's points); unset: small discs on short
  // series only.
  std::optional<MarkerShape> marker;
};

// A filled area between `low` and `high` (mean ± spread, min..max).
struct Band {
  std::vector<double> x, low, high;
  int colour = 0;
};

// A labelled vertical line (a frequency cutoff, an effective rank, the RoPE half split).
struct Marker {
  double x = 0;
  std::string label;
};

// A shaded x interval (every other RoPE pair).
struct Span {
  double from = 0, to = 0;
};

struct LineChart {
  std::string title, xLabel, yLabel;
  bool logX = false, logY = false;
  bool integerX = false;    // x ticks on whole numbers only (layers)
  std::vector<Band> bands;  // drawn below the series
  std::vector<Series> series;
  std::vector<Marker> markers;
  std::string note;  // a short annotation in the top-right corner
  // Set: x ticks at 0, 1, ... named by these (the axes of a parallel-coordinates chart).
  std::vector<std::string> xTickLabels;
  std::string emptyText = "no data";  // said in the middle when there is nothing to draw
};

// One set of bars over BarChart::x.
struct BarSet {
  std::vector<double> values;
  std::string label;
  int colour = 0;
};

struct BarChart {
  std::string title, xLabel, yLabel;
  std::vector<double> x;
  std::vector<BarSet> sets;
  bool grouped = false;  // sets side by side; otherwise overlaid, later sets in front
  std::vector<Span> shaded;
  std::vector<Marker> markers;
  std::string note;
};

// One layer x head grid of a heatmap; values row-major [layer][head], NaN for "no value".
struct HeatmapPanel {
  std::string title;
  int kind = 0;  // emitted with a click on this panel
  std::vector<double> values;
};

struct HeatmapData {
  int layers = 0, heads = 0;  // rows and columns (any grid: dims x tokens in the compare view)
  std::string xLabel = "head", yLabel = "layer";
  std::string valueLabel;  // the colour scale's label
  bool diverging = false;  // symmetric range around 0 and a diverging gradient (differences)
  std::vector<HeatmapPanel> panels;  // side by side, sharing one colour scale
};

// One row of a keep map: a target's token flags over the positions (keep_map_plot.h).
struct KeepMapRow {
  std::string label;       // every row's tick label when there is room: "K L2·H1"
  std::string shortLabel;  // the tick label when rows are dense ("K L2" on a layer's first head)
  std::vector<std::uint8_t> kept;  // T flags, 1 = kept; empty: a gap between groups of rows
  int id = -1;                     // what clicking the row selects (-1: nothing)
};

// Targets (rows, top to bottom) x token positions, kept or evicted.
struct KeepMapChart {
  std::string title;
  int tokens = 0;
  std::vector<KeepMapRow> rows;
  std::vector<std::string> tokenTexts;  // per position, for tooltips (optional)
};

// The attention each token receives, as bars under the keep map: `highlighted` positions in the
// kept colour, the rest in grey; the labels name them in tooltips.
struct KeepAttentionChart {
  std::string title, yLabel;
  std::vector<double> values;            // T, > 0 (a log axis)
  std::vector<std::uint8_t> highlighted;  // T flags
  std::string highlightLabel, otherLabel;
};

}  // namespace kvwb::widgets
