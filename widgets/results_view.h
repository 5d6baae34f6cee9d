// The results of a project's runs: a checkable run list, the Pareto front (any fit metric against
// another or the predicted decode time; cosine against ratio by default), a scatter of any two
// result axes, parallel coordinates, the per-job summary (the seed's tables, as kvwb-cli summary
// prints them, with the predicted decode time on the chosen device and context), the best job of
// each method family at a ratio (FamilyBestPage, kvwb-cli summary --at-ratio) and the
// sortable, filterable table, all over the rows of the checked runs; CSV export through
// core::writeResultsCsv. GUI thread only; refresh() re-reads the project (a running sweep's
// journal included): the run list once and each checked run's rows once, shared by the table,
// the plots, the summary and the export; the decode times are predicted once per reload and per
// change of device or context.
#pragma once

#include <QStringList>
#include <QWidget>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "widgets/results_data.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QTableView;

namespace kvwb::widgets {

class FamilyBestPage;
class ResultsModel;
class ResultsProxy;
class SummaryModel;
class LinePlot;
class ScatterPlot;

class ResultsView : public QWidget {
  Q_OBJECT

 public:
  explicit ResultsView(QWidget* parent = nullptr);

  void setProject(const core::Project& project);  // keeps the shown runs that still exist
  void showRuns(const QStringList& runIds);        // exactly these runs, checked in the list
  QStringList shownRuns() const;
  void refresh();  // re-reads the run list and the rows of the shown runs

  // The quality (y) and x metrics of the Pareto plot; the rows it and the table show.
  void setPareto(core::FitMetric quality, core::FitMetric x);
  void setParetoX(std::string_view axis);  // a resultAxes() name or kDecodeAxisName
  // The device profile (a name of core::deviceNames()) and context length of the predicted
  // decode time, the decode axis's and the summary's.
  void setDecodeCost(const QString& device, int context);
  void setAggregates(bool aggregates);
  // Writes every row of the shown runs as last read; false (with the message in `error`) when it
  // cannot.
  bool exportCsv(const QString& path, QString* error = nullptr) const;

  ResultsModel& model() { return *m_model; }
  ResultsProxy& proxy() { return *m_proxy; }
  SummaryModel& summaryModel() { return *m_summary; }
  FamilyBestPage* familyBestPage() const { return m_familyBest; }
  ScatterPlot* paretoPlot() const { return m_pareto; }
  ScatterPlot* scatterPlot() const { return m_scatter; }
  LinePlot* parallelPlot() const { return m_parallel; }

 Q_SIGNALS:
  // A point of the Pareto or scatter plot was clicked (for the SIREN-vs-SVD comparison).
  void fitSelected(const QString& runId, int layer, int head, const QString& kind,
                   const QString& paramsJson);

 private:
  void fillRunList();
  std::vector<core::RunInfo> checkedRuns() const;  // of m_runInfos
  void reloadRows();  // reads the checked runs' rows (once) and updates every view of them
  QWidget* buildDecodeControls();
  void updateDecodeTimes();  // predicts the checked runs' decode times, then updates the views
  const ResultAxis& axisOf(const QComboBox* combo) const;
  QWidget* buildSummaryPage();
  void updateSummary();
  void updatePlots();
  void chooseCsv();

  std::optional<core::Project> m_project;
  std::vector<core::RunInfo> m_runInfos;  // the project's runs as of the last refresh()
  std::set<std::string> m_shown;
  std::vector<core::RunResults> m_loaded;  // the checked runs' rows as of the last reload
  std::shared_ptr<const DecodeTimes> m_decode;
  ResultAxis m_decodeAxis;  // reads m_decode
  bool m_axesChosen = false;  // by the user or setPareto: no longer follows what the rows measure
  QListWidget* m_runs;
  QComboBox* m_rows;
  QComboBox* m_quality;
  QComboBox* m_x;
  QComboBox* m_scatterX;
  QComboBox* m_scatterY;
  QComboBox* m_device;
  QSpinBox* m_context;
  QLineEdit* m_filter;
  ResultsModel* m_model;
  ResultsProxy* m_proxy;
  QTableView* m_table;
  SummaryModel* m_summary;
  QTableView* m_summaryTable;
  QLabel* m_summaryCommon;
  FamilyBestPage* m_familyBest;
  ScatterPlot* m_pareto;
  ScatterPlot* m_scatter;
  LinePlot* m_parallel;
};

}  // namespace kvwb::widgets
