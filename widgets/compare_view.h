// Two fits of one capture target side by side (SIREN vs SVD at equal bytes by default): a chosen
// dimension over the tokens (original and both reconstructions), the error maps tokens x dims and
// a metric table. GUI thread only; showFits() computes on a worker (QtConcurrent) from a copy.
#pragma once

#include <QFutureWatcher>
#include <QWidget>
#include <atomic>
#include <memory>
#include <optional>

#include "widgets/compare_data.h"

class QLabel;
class QSpinBox;
class QTableWidget;

namespace kvwb::widgets {

class HeatmapPlot;
class LinePlot;

class CompareView : public QWidget {
  Q_OBJECT

 public:
  explicit CompareView(QWidget* parent = nullptr);
  ~CompareView() override;  // cancels a computation in flight and waits for it

  void setDevice(const std::string& device) { m_device = device; }  // "auto" by default
  // Fits both specs of `pair` off the GUI thread (cancelling one in flight), then shows them;
  // emits fitsShown or failed.
  void showFits(const ComparePair& pair);
  void setResult(CompareResult result);  // shows an already computed comparison
  const CompareResult* result() const { return m_result ? &*m_result : nullptr; }
  bool busy() const { return m_watcher.isRunning(); }
  void setDimension(int dim);

  LinePlot* dimensionPlot() const { return m_dimension; }
  HeatmapPlot* errorPlot() const { return m_errors; }

 Q_SIGNALS:
  void fitsShown();
  void failed(const QString& message);

 private:
  // What the worker hands back: the result, or the message of what went wrong.
  struct Outcome {
    std::optional<CompareResult> result;
    QString error;
  };
  void onFinished();
  void cancel();

  std::string m_device = "auto";
  std::optional<CompareResult> m_result;
  std::shared_ptr<std::atomic<bool>> m_cancel;  // of the computation in flight
  QFutureWatcher<Outcome> m_watcher;
  QLabel* m_title;
  QLabel* m_status;
  QSpinBox* m_dim;
  LinePlot* m_dimension;
  HeatmapPlot* m_errors;
  QTableWidget* m_metrics;
};

}  // namespace kvwb::widgets
