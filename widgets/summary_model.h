// Table model over core::summaryTable: sweep results one row per job (means per kind, Δ
// perplexity, fit and decode time), the table `kvwb-cli summary` prints, plus each job's predicted
// decode time on a device (DecodeTimes). Sort it through a NumericSortProxy (Qt::UserRole holds
// metric values). GUI thread only.
#pragma once

#include <QAbstractTableModel>
#include <map>
#include <string>

#include "core/reports/results_summary.h"
#include "widgets/results_data.h"

namespace kvwb::widgets {

class SummaryModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  explicit SummaryModel(QObject* parent = nullptr);

  // Resets the model; the predicted decode time is a column after the ratio (else last before
  // the note).
  void setSummary(const core::ResultsSummary& summary, const DecodeTimes& decode);
  // Resets the model to `table` as it is (no decode column, no common parameters): another
  // table of summary rows, such as core::familyBestTable.
  void setTable(core::SummaryTable table);
  // "siren: config=medium · epochs=2000 …", one line per method: what all its rows share.
  QString commonParamsText() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  void insertDecodeColumn(const core::ResultsSummary& summary, const DecodeTimes& decode);

  core::SummaryTable m_table;
  int m_decodeColumn = -1;
  QString m_decodeTip;  // the decode column's header tooltip: context and device in full
  std::map<std::string, std::string> m_commonParams;
};

}  // namespace kvwb::widgets
