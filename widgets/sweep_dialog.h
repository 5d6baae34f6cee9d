// The "New Sweep" dialog: every registered method (core::methodDescriptors()) with one editable
// row of comma-separated values per declared parameter (its default grid to start; type, range
// and doc as tooltip; its default beside it), captures, targets (layers, heads, K/V), sequence
// lengths, metrics and device, or a preset from resources/presets to start from; shows the
// planned job count with a size and rough CPU time estimate, or the validation error, as it is
// edited. spec() is the sweep JSON (docs/SWEEPS.md) it builds. GUI thread only.
#pragma once

#include <QDialog>
#include <QString>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/project/project.h"

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace kvwb::widgets {

class SweepDialog : public QDialog {
  Q_OBJECT

 public:
  explicit SweepDialog(const core::Project& project, QWidget* parent = nullptr);

  // The spec the form describes; throws std::invalid_argument naming the field it cannot read.
  nlohmann::json spec() const;
  void setSpec(const nlohmann::json& spec);  // fills the form (from a preset)
  // Loads the preset `name` (a file stem in presetDirectory()); false when there is none.
  bool loadPreset(const QString& name);
  int jobCount() const { return m_jobs; }  // planned jobs of the current spec, -1 when invalid
  QString summary() const;                 // the job count and estimate line, or the error

  // resources/presets of the source tree (KVWB_SOURCE_DIR), else next to the executable.
  static QString presetDirectory();

 private:
  // A method row with one row per declared parameter (values from `values`, by parameter name;
  // empty = the default), then any names in `values` the method does not declare.
  QTreeWidgetItem* addMethod(const std::string& method, bool checked,
                             std::map<std::string, std::string> values);
  void updateSummary();

  core::Project m_project;
  int m_jobs = -1;
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
  QSpinBox* m_seed;
  QLabel* m_summary;
  QDialogButtonBox* m_buttons;
};

}  // namespace kvwb::widgets
