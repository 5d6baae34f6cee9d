// SummaryModel: core::SummaryTable cells as display text, metric values for sorting.
#include "widgets/summary_model.h"

#include <QStringList>

namespace kvwb::widgets {

SummaryModel::SummaryModel(QObject* parent) : QAbstractTableModel(parent) {}

void SummaryModel::setSummary(const core::ResultsSummary& summary) {
  beginResetModel();
  m_table = core::summaryTable(summary);
  m_commonParams = summary.commonParams;
  endResetModel();
}

QString SummaryModel::commonParamsText() const {
  QStringList lines;
  for (const auto& [method, params] : m_commonParams)
    lines << QString::fromStdString(method + (params.empty() ? "" : ": " + params));
  return lines.join(QLatin1Char('\n'));
}

int SummaryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_table.rows.size());
}

int SummaryModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_table.headers.size());
}

QVariant SummaryModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const auto column = static_cast<std::size_t>(index.column());
  const core::SummaryCell& cell = m_table.rows[static_cast<std::size_t>(index.row())][column];
  switch (role) {
    case Qt::DisplayRole: return QString::fromStdString(cell.text);
    case Qt::UserRole:
      return m_table.numeric[column] ? QVariant(cell.value) : QVariant(QString::fromStdString(cell.text));
    case Qt::TextAlignmentRole:
      return m_table.numeric[column] ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    default: return {};
  }
}

QVariant SummaryModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
      section >= columnCount())
    return {};
  return QString::fromStdString(m_table.headers[static_cast<std::size_t>(section)]);
}

}  // namespace kvwb::widgets
