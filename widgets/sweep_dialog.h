// The "New Sweep" dialog: every registered method (core::methodDescriptors()) with one editable
// row of comma-separated values per declared parameter (its default grid to start; type, range
// and doc as tooltip; its default beside it), captures, targets (layers, heads, K/V), sequence
// lengths, metrics and device, or a preset from resources/presets to start from; shows the
// planned job count with a size and time estimate, or the validation error, as it is edited. The
// time comes from core::measureSweepSpeed on the sweep's device, run in the background the first
// time a method appears (core/sweep/sweep_estimate.h). spec() is the sweep JSON (docs/SWEEPS.md) it builds. GUI thread only.
#pragma once

#include <QDialog>
#include <QFutureWatcher>
#include <QString>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/project/project.h"
#include "core/sweep/sweep_estimate.h"
#include "widgets/cluster_dialog.h"

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace kvwb::widgets {

class SweepDialog : public QDialog {
  Q_OBJECT

 public:
  explicit SweepDialog(const core::Project& project, QWidget* parent = nullptr);
  ~SweepDialog() override;  // stops a timing in flight

  // The spec the form describes; throws std::invalid_argument naming the field it cannot read.
  nlohmann::json spec() const;
  void setSpec(const nlohmann::json& spec);  // fills the form (from a preset)
  // Loads the preset `name` (a file stem in presetDirectory()); false when there is none.
  bool loadPreset(const QString& name);
  int jobCount() const { return m_jobs; }  // planned jobs of the current spec, -1 when invalid
  QString summary() const;                 // the job count and estimate line, or the error
  bool timing() const { return m_timing != nullptr; }  // methods are being timed for the estimate
  // Set when the user chose "Run on Cluster (Slurm)…" (and accepted its options) over Run Sweep.
  const std::optional<ClusterRun>& clusterRun() const { return m_clusterRun; }

  // resources/presets of the source tree (KVWB_SOURCE_DIR), else next to the executable.
  static QString presetDirectory();

 private:
  // A method row with one row per declared parameter (values from `values`, by parameter name;
  // empty = the default), then any names in `values` the method does not declare.
  QTreeWidgetItem* addMethod(const std::string& method, bool checked,
                             std::map<std::string, std::string> values);
  void updateSummary();
  // The time estimate from the speeds timed so far on the spec's device, or a note that timing
  // has started.
  QString timeText(const core::SweepSpec& spec, const std::vector<core::SweepJob>& jobs);
  void startTiming(const core::SweepSpec& spec);

  core::Project m_project;
  int m_jobs = -1;
  core::SweepSpeed m_speed;  // timed so far, on m_speed.device
  QFutureWatcher<core::SweepSpeed>* m_timing = nullptr;  // while timing
  QString m_timingError;                                  // why timing failed, if it did
  std::shared_ptr<std::atomic_bool> m_stopTiming = std::make_shared<std::atomic_bool>(false);
  QComboBox* m_preset;
  QLineEdit* m_name;
  QTreeWidget* m_methods;
  QListWidget* m_captures;
  QLineEdit* m_layers;
  QLineEdit* m_heads;
  QCheckBox* m_keys;
  QCheckBox* m_values;
  QLineEdit* m_seqLengths;
  QComboBox* m_device;
  QComboBox* m_deltaPpl;
  QCheckBox* m_attention;
  QSpinBox* m_pplTokens;
  // Model quality over text windows (metrics.quality): on/off, windows, scored and greedy tokens;
  // the preset's other quality keys (prefix, stride, batch, seed) are kept as they were.
  QCheckBox* m_quality;
  QSpinBox *m_qualityWindows, *m_qualityTokens, *m_qualityGreedy;
  nlohmann::json m_qualityKept = nlohmann::json::object();
  std::map<std::string, nlohmann::json> m_methodQuality;  // a method's own "quality" (SIREN: fewer windows)
  QSpinBox* m_seed;
  QLabel* m_summary;
  QDialogButtonBox* m_buttons;
  QPushButton* m_cluster = nullptr;
  std::optional<ClusterRun> m_clusterRun;
};

}  // namespace kvwb::widgets
