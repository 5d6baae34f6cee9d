// Two fits of one capture target side by side (SIREN vs SVD at equal bytes by default): a chosen
// dimension over the tokens (original and both reconstructions), the error maps tokens x dims and
// a metric table; under the title, a note when the pair is more than 10% apart in bytes. GUI thread only; showFits() computes as a job of the given JobRunner (the GPU
// lane when the fits run on a GPU, so they never overlap a sweep there).
#pragma once

#include <QWidget>
#include <optional>

#include "widgets/compare_data.h"

class QLabel;
class QSpinBox;
class QTableWidget;

namespace kvwb::widgets {

class HeatmapPlot;
class JobRunner;
class LinePlot;

class CompareView : public QWidget {
  Q_OBJECT

 public:
  // `jobs` runs the fits; it must outlive this view.
  explicit CompareView(JobRunner& jobs, QWidget* parent = nullptr);
  ~CompareView() override;  // cancels a computation in flight

  void setDevice(const std::string& device) { m_device = device; }  // "auto" by default
  // Fits both specs of `pair` as a background job (cancelling one in flight), then shows them;
  // emits fitsShown or failed.
  void showFits(const ComparePair& pair);
  void setResult(CompareResult result);  // shows an already computed comparison
  const CompareResult* result() const { return m_result ? &*m_result : nullptr; }
  bool busy() const;
  void setDimension(int dim);

  LinePlot* dimensionPlot() const { return m_dimension; }
  HeatmapPlot* errorPlot() const { return m_errors; }

 Q_SIGNALS:
  void fitsShown();
  void failed(const QString& message);

 private:
  void onJobFinished(int id);  // reports a failure of this view's job in flight

  JobRunner& m_jobs;
  int m_job = -1;  // the job in flight, -1 when none
  int m_generation = 0;  // counts showFits() calls: only the latest one's result is shown
  std::string m_device = "auto";
  std::optional<CompareResult> m_result;
  QLabel* m_title;
  QLabel* m_bytesNote;  // the pair's distance in bytes when it is not at equal bytes, else hidden
  QLabel* m_status;
  QSpinBox* m_dim;
  LinePlot* m_dimension;
  HeatmapPlot* m_errors;
  QTableWidget* m_metrics;
};

}  // namespace kvwb::widgets
