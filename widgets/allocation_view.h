// A byte budget for the whole cache (issue 18), live: a sweep's options per target, a metric to
// minimise and a compression-ratio slider that re-solves the knapsack on every move; the chosen
// option of every layer and head as K and V maps (colour: the option, square area: its bytes
// against the raw cache), the bytes, damage and gap beside the best uniform option, the
// damage-vs-budget curve of both with the slider's ratio marked, and a button that asks to run the
// allocation as a sweep. GUI thread only; a solve takes well under a millisecond, so no jobs.
#pragma once

#include <QWidget>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "widgets/allocation_data.h"

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;

namespace kvwb::widgets {

class AllocationMapWidget;
class LinePlot;

class AllocationView : public QWidget {
  Q_OBJECT

 public:
  explicit AllocationView(QWidget* parent = nullptr);

  // Reads the runs `names` stand for (run ids or sweep names; every run when empty) from
  // `project` and shows their allocation by the first metric they measured per target, at ratio 4
  // (or the nearest feasible one). On failure emits failed(message) and returns false.
  bool showRuns(const std::filesystem::path& project, const std::vector<std::string>& names);
  // Re-builds the table by `column` (one of metricBox()'s); false, with the reason shown and
  // emitted by failed(), when the runs cannot be allocated by it.
  bool setMetric(const QString& column);
  void setRatio(double ratio);  // moves the slider to the nearest step (re-solving)
  double ratio() const;         // the slider's, clamped to the feasible range

  const std::optional<AllocationModel>& model() const { return m_model; }
  const std::optional<AllocationPick>& pick() const { return m_pick; }  // the allocation shown
  const AllocationCurve& curve() const { return m_curve; }
  const AllocationMap& map() const;  // the map as drawn
  // The centre of a map cell in the map widget's coordinates (valid once laid out).
  QPoint cellPosition(int panel, int layer, int head) const;
  QWidget* mapWidget() const;

  QComboBox* metricBox() const { return m_metricBox; }
  QComboBox* captureBox() const { return m_captureBox; }
  QSlider* budgetSlider() const { return m_slider; }
  QLabel* summaryLabel() const { return m_summary; }
  LinePlot* curvePlot() const { return m_plot; }
  QPushButton* runButton() const { return m_runButton; }

  static constexpr int kSliderSteps = 1000;
  static constexpr double kLowestRatio = 1.1, kHighestRatio = 16;  // the slider, within reach

 Q_SIGNALS:
  // "Run this allocation": the sweep spec (JSON) that runs it, and its sweep name.
  void runRequested(const QString& specJson, const QString& sweepName);
  void failed(const QString& message);

 private:
  void solve();    // at the slider's ratio: map, summary, curve marker
  void showMap();  // the chosen capture's map
  void requestRun();
  void clear();                       // nothing shown, the slider and the run button disabled
  void fail(const QString& message);  // shown under the view and emitted
  double sliderRatio(int value) const;
  std::pair<double, double> sliderRange() const;  // ratios at the slider's ends

  std::filesystem::path m_project;
  std::vector<core::RunResults> m_runs;
  std::optional<AllocationModel> m_model;
  std::optional<AllocationPick> m_pick;
  AllocationCurve m_curve;
  QLabel* m_title;
  QComboBox* m_captureBox;
  QComboBox* m_metricBox;
  QSlider* m_slider;
  QLabel* m_ratioLabel;
  QPushButton* m_runButton;
  QLabel* m_summary;
  AllocationMapWidget* m_map;
  LinePlot* m_plot;
  QLabel* m_notes;
};

}  // namespace kvwb::widgets
