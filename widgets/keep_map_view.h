// What an eviction job keeps (issue 16): the keep map of its targets x tokens with the attention
// each token receives under it (keep_map_plot.h), the capture's text with the selected target's
// kept tokens highlighted (or, for the mean, each token by the share of targets keeping it), and a
// target chooser; clicking a map row selects its target. GUI thread only; showJob() fits the job
// again as a job of the given JobRunner (on the device lane when it runs on a GPU) and takes the
// result by value.
#pragma once

#include <QWidget>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/sweep/job_keep_map.h"
#include "widgets/keep_map_data.h"

class QComboBox;
class QLabel;
class QTextBrowser;
#include "widgets/view_job.h"

namespace kvwb::widgets {

class KeepMapPlot;

class KeepMapView : public QWidget {
  Q_OBJECT

 public:
  // `jobs` runs the refit; it must outlive this view.
  explicit KeepMapView(JobRunner& jobs, QWidget* parent = nullptr);

  void setDevice(const std::string& device) { m_job->setDevice(device); }  // "auto" by default
  // Fits the job whose key starts with `jobKey` in `project` again as a background job
  // (cancelling one in flight), then shows it; emits keepMapShown or failed. Returns the job id,
  // or -1.
  int showJob(const std::filesystem::path& project, const std::string& jobKey);
  void setKeepMap(core::JobKeepMap map);  // shows an already computed map, the mean selected
  const core::JobKeepMap* keepMap() const { return m_map ? &*m_map : nullptr; }
  bool busy() const;

  // Selects a target (an index into keepMap()->targets; -1: the mean over targets): its map row
  // outlined, its attention plotted, its kept tokens highlighted in the text.
  void selectTarget(int target);
  int selectedTarget() const { return m_target; }

  KeepMapPlot* plot() const { return m_plot; }
  QComboBox* targetBox() const { return m_targetBox; }
  QTextBrowser* textView() const { return m_text; }
  QString targetText() const;  // the line above the text
  // The tokens as the text shows them, and where each starts in its document.
  const std::vector<KeepToken>& tokens() const { return m_tokens; }
  QColor tokenBackground(int position) const;  // as drawn in the text

 Q_SIGNALS:
  void keepMapShown();
  void failed(const QString& message);

 private:
  void fillText();

  ViewJob* m_job;  // its cancel, progress and failure show in m_status
  std::optional<core::JobKeepMap> m_map;
  int m_target = -1;
  std::vector<int> m_rowOfTarget;  // the plot's row of each target
  std::vector<KeepToken> m_tokens;
  std::vector<int> m_tokenStarts;  // document positions
  QLabel* m_title;
  QLabel* m_stats;
  QLabel* m_status;
  QComboBox* m_targetBox;
  KeepMapPlot* m_plot;
  QLabel* m_targetLine;
  QTextBrowser* m_text;
};

}  // namespace kvwb::widgets
