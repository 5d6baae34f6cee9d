// The Results view's "Best per family" tab: a ratio spin box (and the metric to choose by) over
// core::bestPerFamily of the checked runs' per-job summary: per capture, length, K/V targets and
// method family, the best job at or above the ratio with every metric, the table `kvwb-cli
// summary --at-ratio R` prints; the groups without such a job listed under it. GUI thread only.
#pragma once

#include <QWidget>
#include <optional>

#include "core/reports/family_best.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QTableView;

namespace kvwb::widgets {

class SummaryModel;

class FamilyBestPage : public QWidget {
  Q_OBJECT

 public:
  explicit FamilyBestPage(QWidget* parent = nullptr);

  void setSummary(core::ResultsSummary summary);  // per job (SummaryGrouping::Job)
  void setRatio(double ratio);                    // the budget R (4 by default)
  double ratio() const;
  // The metric the best is chosen by; nullopt: KLD where measured, else attn KL, else rel err.
  void setBy(std::optional<core::FitMetric> by);
  const core::FamilyBest& best() const { return m_best; }
  SummaryModel& model() { return *m_model; }
  QTableView* table() const { return m_table; }

 private:
  void update();

  core::ResultsSummary m_summary;
  core::FamilyBest m_best;
  QDoubleSpinBox* m_ratio;
  QComboBox* m_by;
  SummaryModel* m_model;
  QTableView* m_table;
  QLabel* m_notes;
};

}  // namespace kvwb::widgets
