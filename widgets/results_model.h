// Table model over ResultEntry rows (run, method, target, key parameters, one column per fit
// metric of core::fitMetrics() in table order, device), the proxy that sorts numerically (NaN
// last), and the one that also filters by row scope (per-target fits or job aggregates). GUI
// thread only.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <vector>

#include "widgets/results_data.h"

namespace kvwb::widgets {

class ResultsModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    RunColumn, MethodColumn, LayerColumn, HeadColumn, KindColumn, ParamsColumn,
    FirstMetricColumn,  // then one column per fit metric, in table order
    DeviceColumn = FirstMetricColumn + static_cast<int>(core::kFitMetricCount),
    ColumnCount
  };
  static constexpr int SortRole = Qt::UserRole;  // numbers as doubles, NaN sorted last
  static int metricColumn(core::FitMetric metric) {
    return FirstMetricColumn + static_cast<int>(metric);
  }

  explicit ResultsModel(QObject* parent = nullptr);

  void setEntries(std::vector<ResultEntry> entries);  // resets the model
  const std::vector<ResultEntry>& entries() const { return m_entries; }
  const ResultEntry& entry(int row) const { return m_entries[static_cast<std::size_t>(row)]; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  std::vector<ResultEntry> m_entries;
};

// Sorts by the source's SortRole (Qt::UserRole): doubles numerically with NaN last, anything
// else as Qt does; filters on every column, case-insensitively.
class NumericSortProxy : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit NumericSortProxy(QObject* parent = nullptr);

 protected:
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
};

class ResultsProxy : public NumericSortProxy {
  Q_OBJECT

 public:
  explicit ResultsProxy(QObject* parent = nullptr);
  void setAggregates(bool aggregates);  // job aggregate rows only, or per-target rows only
  bool aggregates() const { return m_aggregates; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

 private:
  bool m_aggregates = true;
};

}  // namespace kvwb::widgets
