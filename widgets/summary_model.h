// Table model over core::summaryTable: sweep results one row per job (means per kind, Δ
// perplexity, fit and decode time), the table `kvwb-cli summary` prints. Sort it through a
// NumericSortProxy (Qt::UserRole holds metric values). GUI thread only.
#pragma once

#include <QAbstractTableModel>
#include <map>
#include <string>

#include "core/reports/results_summary.h"

namespace kvwb::widgets {

class SummaryModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit SummaryModel(QObject* parent = nullptr);

  void setSummary(const core::ResultsSummary& summary);  // resets the model
  // "siren: config=medium · epochs=2000 …", one line per method: what all its rows share.
  QString commonParamsText() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  core::SummaryTable m_table;
  std::map<std::string, std::string> m_commonParams;
};

}  // namespace kvwb::widgets
