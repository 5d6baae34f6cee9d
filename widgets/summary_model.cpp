// SummaryModel: core::SummaryTable cells, with the predicted decode time inserted, as display
// text, metric values for sorting.
#include "widgets/summary_model.h"

#include <QStringList>
#include <algorithm>
#include <cmath>

namespace kvwb::widgets {

SummaryModel::SummaryModel(QObject* parent) : QAbstractTableModel(parent) {}

void SummaryModel::setSummary(const core::ResultsSummary& summary, const DecodeTimes& decode) {
  beginResetModel();
  m_table = core::summaryTable(summary);
  insertDecodeColumn(summary, decode);
  m_commonParams = summary.commonParams;
  endResetModel();
}

void SummaryModel::setTable(core::SummaryTable table) {
  beginResetModel();
  m_table = std::move(table);
  m_decodeColumn = -1;
  m_decodeTip.clear();
  m_commonParams.clear();
  endResetModel();
}

void SummaryModel::insertDecodeColumn(const core::ResultsSummary& summary, const DecodeTimes& decode) {
  const auto& headers = m_table.headers;
  const auto ratio = std::find(headers.begin(), headers.end(), "ratio");
  const bool note = !headers.empty() && headers.back() == "note";
  const auto at = ratio != headers.end() ? ratio - headers.begin() + 1
                                         : static_cast<std::ptrdiff_t>(headers.size()) - note;
  m_table.headers.insert(m_table.headers.begin() + at,
                         "decode µs (predicted, " + deviceLabel(decode.device.name) + ")");
  m_table.numeric.insert(m_table.numeric.begin() + at, true);
  for (std::size_t row = 0; row < m_table.rows.size(); ++row) {
    const double us = decode.at(summary.rows[row].run, summary.rows[row].job);
    const std::string text = std::isfinite(us) ? QString::number(us, 'g', 3).toStdString() : "";
    m_table.rows[row].insert(m_table.rows[row].begin() + at, {text, us});
  }
  m_decodeColumn = static_cast<int>(at);
  m_decodeTip = tr("One decode step of the job's whole cache at context %1 on %2, predicted: the "
                   "larger of bytes read / bandwidth and FLOPs / peak (kvwb-cli decode-cost)")
                    .arg(decode.context)
                    .arg(QString::fromStdString(decode.device.title));
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
  if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
  if (role == Qt::ToolTipRole && section == m_decodeColumn) return m_decodeTip;
  if (role != Qt::DisplayRole) return {};
  return QString::fromStdString(m_table.headers[static_cast<std::size_t>(section)]);
}

}  // namespace kvwb::widgets
