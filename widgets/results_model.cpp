// ResultsModel and ResultsProxy.
#include "widgets/results_model.h"

#include <array>
#include <cmath>
#include <optional>

#include "core/results_summary.h"

namespace kvwb::widgets {
namespace {

// The metric a numeric column shows; none for the text columns.
std::optional<Metric> columnMetric(int column) {
  switch (column) {
    case ResultsModel::LayerColumn: return Metric::Layer;
    case ResultsModel::HeadColumn: return Metric::Head;
    case ResultsModel::BytesColumn: return Metric::Bytes;
    case ResultsModel::RatioColumn: return Metric::Ratio;
    case ResultsModel::CosSimColumn: return Metric::CosSim;
    case ResultsModel::RelErrColumn: return Metric::RelErr;
    case ResultsModel::AttnOutErrColumn: return Metric::AttnOutErr;
    case ResultsModel::AttnKlColumn: return Metric::AttnKl;
    case ResultsModel::DeltaPplColumn: return Metric::DeltaPpl;
    case ResultsModel::FitSecondsColumn: return Metric::FitSeconds;
    default: return std::nullopt;
  }
}

QString numberText(int column, double v) {
  if (std::isnan(v)) return QStringLiteral("—");
  switch (column) {
    case ResultsModel::LayerColumn:
    case ResultsModel::HeadColumn: return v < 0 ? QStringLiteral("all") : QString::number(v);
    case ResultsModel::BytesColumn: return QString::number(v, 'f', 0);
    case ResultsModel::RatioColumn: return QString::number(v, 'f', 2) + QStringLiteral("×");
    case ResultsModel::FitSecondsColumn: return QString::number(v, 'g', 3);
    default: return QString::number(v, 'g', 4);
  }
}

}  // namespace

ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ResultsModel::setEntries(std::vector<ResultEntry> entries) {
  beginResetModel();
  m_entries = std::move(entries);
  endResetModel();
}

int ResultsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int ResultsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  const ResultEntry& e = entry(index.row());
  const int column = index.column();
  if (const auto metric = columnMetric(column)) {
    const double v = metricValue(e, *metric);
    if (role == Qt::DisplayRole) return numberText(column, v);
    if (role == SortRole) return v;
    if (role == Qt::TextAlignmentRole) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
  }
  if (role == Qt::ToolTipRole && column == ParamsColumn)
    return QString::fromStdString(e.row.paramsJson);
  if (role != Qt::DisplayRole && role != SortRole) return {};
  switch (column) {
    case RunColumn: return QString::fromStdString(e.runId);
    case MethodColumn: return QString::fromStdString(e.method);
    case KindColumn: return QString::fromStdString(e.row.kind);
    case ParamsColumn: return QString::fromStdString(core::paramsText(e.row.paramsJson));
    case DeviceColumn: return QString::fromStdString(e.row.device);
    default: return {};
  }
}

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  static const std::array<const char*, ColumnCount> kTitles = {
      "run", "method", "layer", "head", "kind", "parameters", "bytes", "ratio", "cos_sim",
      "rel_err", "attn_out_err", "attn_kl", "Δ ppl", "fit s", "device"};
  if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
  if (role == Qt::DisplayRole) return QString::fromUtf8(kTitles[static_cast<std::size_t>(section)]);
  if (role == Qt::ToolTipRole) {
    if (const auto metric = columnMetric(section))
      return QString::fromUtf8(metricTitle(*metric));
  }
  return {};
}

NumericSortProxy::NumericSortProxy(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(Qt::UserRole);
  setFilterKeyColumn(-1);
  setFilterCaseSensitivity(Qt::CaseInsensitive);
}

bool NumericSortProxy::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const QVariant l = left.data(sortRole()), r = right.data(sortRole());
  if (l.typeId() == QMetaType::Double && r.typeId() == QMetaType::Double) {
    const double a = l.toDouble(), b = r.toDouble();
    if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);  // NaN last
    return a < b;
  }
  return QSortFilterProxyModel::lessThan(left, right);
}

ResultsProxy::ResultsProxy(QObject* parent) : NumericSortProxy(parent) {}

void ResultsProxy::setAggregates(bool aggregates) {
  m_aggregates = aggregates;
  invalidateFilter();
}

bool ResultsProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  const auto* model = static_cast<const ResultsModel*>(sourceModel());
  return model->entry(sourceRow).aggregate() == m_aggregates &&
         QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

}  // namespace kvwb::widgets
