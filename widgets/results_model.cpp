// ResultsModel and ResultsProxy.
#include "widgets/results_model.h"

#include <cmath>
#include <vector>

#include "core/reports/results_summary.h"

namespace kvwb::widgets {
namespace {

// The axis a numeric column shows: its fit metric, or the row's layer or head; none for the
// text columns.
const ResultAxis* columnAxis(int column) {
  static const std::vector<const ResultAxis*> axes = [] {
    std::vector<const ResultAxis*> byColumn(ResultsModel::ColumnCount, nullptr);
    byColumn[ResultsModel::LayerColumn] = &resultAxes()[axisIndex("layer")];
    byColumn[ResultsModel::HeadColumn] = &resultAxes()[axisIndex("head")];
    for (const auto& m : core::fitMetrics())
      byColumn[ResultsModel::metricColumn(m.id)] = &resultAxis(m.id);
    return byColumn;
  }();
  return column >= 0 && column < ResultsModel::ColumnCount ? axes[column] : nullptr;
}

QString numberText(const ResultAxis& axis, double v) {
  if (std::isnan(v)) return QStringLiteral("—");
  if (axis.metric) return QString::fromStdString(core::formatMetric(*axis.metric, v));
  return v < 0 ? QStringLiteral("all") : QString::number(v);  // layer, head: -1 = every one
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
  if (const ResultAxis* axis = columnAxis(column)) {
    const double v = axis->value(e);
    if (role == Qt::DisplayRole) return numberText(*axis, v);
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
  if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
  const ResultAxis* axis = columnAxis(section);
  if (role == Qt::DisplayRole) {
    if (axis) return QString::fromStdString(axis->name);
    switch (section) {
      case RunColumn: return tr("run");
      case MethodColumn: return tr("method");
      case KindColumn: return tr("kind");
      case ParamsColumn: return tr("parameters");
      case DeviceColumn: return tr("device");
      default: return {};
    }
  }
  if (role == Qt::ToolTipRole && axis) return QString::fromStdString(axis->label());
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
