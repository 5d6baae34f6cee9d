// The KV Workbench main window: project explorer, details and jobs docks around central tabs (an
// overview, one structure atlas per opened capture, the results of runs); File menu (new, open,
// recent, import, quit), Analysis menu and toolbar (analyze the selected or every capture),
// Compression menu (new sweep); dumps dropped on the window are imported. GUI thread only; core
// work runs through JobRunner.
#pragma once

#include <QMainWindow>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/recent_projects.h"
#include "core/capture_extract.h"
#include "widgets/job_runner.h"
#include "widgets/project_model.h"

class QAction;
class QLabel;
class QMenu;
class QTabWidget;
class QTreeView;

namespace kvwb::widgets {
class AtlasData;
class AtlasView;
class CompareView;
struct ComparePair;
class CaptureDetails;
class ResultsView;
}  // namespace kvwb::widgets

namespace kvwb::app {

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // Opens the project at `path`; on failure shows the error (naming the file) and returns false.
  bool openProject(const QString& path);
  // Imports the dumps as one capture into the open project, as a job. Returns the job id, or -1
  // (with an error shown) when no project is open.
  int importDumps(const QStringList& paths);
  // Analyzes the named captures one after another in one job (core::analyzeCapture, stored with
  // saveAnalysis), then reloads and opens the first one's atlas. Returns the job id, or -1 (with
  // an error shown) without a project, without captures, or while another analysis runs.
  int analyzeCaptures(const QStringList& names);
  // Opens (or shows) the atlas tab of a capture with a current analysis; null when it has none.
  widgets::AtlasView* openAtlas(const QString& capture);
  // Fits both specs of `pair` in the background and shows them side by side in the Compare tab.
  widgets::CompareView* openCompare(const widgets::ComparePair& pair);
  // Runs a model over a text window in the background and adds the capture to the open project.
  int startExtraction(const core::ExtractOptions& options);
  // Writes the project's figure set into `dir` by running `kvwb --export-figures` as a child
  // process (rendering needs a GUI thread of its own), as a cancellable background job.
  int startFigureSetExport(const QString& dir, const QString& format);
  // The kvwb executable the figure-set export runs (default: this program; tests set it).
  void setGuiProgram(const QString& program) { m_guiProgram = program; }
  void compareSelectedTarget();  // SIREN vs equal-byte SVD on the selected atlas target
  // Runs the sweep `spec` (JSON, docs/SWEEPS.md) on the open project as a job; the Results tab
  // shows its runs and refreshes while it runs, the project reloads when it ends. Returns the job
  // id, or -1 (with an error shown) without a project, with an invalid spec, or while another
  // sweep runs.
  int startSweep(const nlohmann::json& spec);
  // Opens (or shows) the Results tab with the rows of `runIds`; with none, the runs of the
  // project's latest sweep. Null without a project.
  widgets::ResultsView* openResults(const QStringList& runIds = {});
  void restoreLayout();  // window geometry and dock state from QSettings

  widgets::ProjectModel& projectModel() { return m_model; }
  widgets::JobRunner& jobRunner() { return m_jobs; }

  static bool isDumpFile(const QString& path);  // .safetensors/.npy/.npz/.h5/.hdf5

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void createMenus();
  void analyzeSelected();
  void analyzeAll();
  void newSweep();
  QStringList sweepRuns(const std::string& runId) const;  // every run of runId's sweep
  void loadAtlases();  // every capture's current analysis, re-read; refreshes the open atlas tabs
  std::vector<std::shared_ptr<const widgets::AtlasData>> atlasOverlay() const;
  QString currentCapture() const;  // the selected capture (or analysis row's capture), or empty
  void updateActions();
  void createDocks();
  void newProject();
  void chooseProject();
  void chooseDumps();
  void fillRecentMenu();
  void reloadProject();
  void selectCapture(const QString& name);
  void onCurrentChanged(const QModelIndex& current);
  void onJobFinished(int id);
  void updateOverview();
  void showError(const QString& title, const QString& text);

  widgets::ProjectModel m_model;
  widgets::JobRunner m_jobs;
  RecentProjects m_recent;
  QTreeView* m_tree = nullptr;
  widgets::CaptureDetails* m_details = nullptr;
  QLabel* m_overview = nullptr;
  QLabel* m_device = nullptr;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;
  QTabWidget* m_views = nullptr;
  QAction* m_analyzeAction = nullptr;
  QAction* m_analyzeAllAction = nullptr;
  int m_analyzeJob = -1;  // the running analysis job, or -1
  int m_sweepJob = -1;    // the running sweep job, or -1
  QAction* m_sweepAction = nullptr;
  QAction* m_compareAction = nullptr;
  widgets::ResultsView* m_results = nullptr;  // the Results tab, while open
  widgets::CompareView* m_compare = nullptr;  // the Compare tab, while open
  QString m_guiProgram;                         // empty: QCoreApplication::applicationFilePath()
  QTimer m_resultsRefresh;  // re-reads the shown results while a sweep runs
  std::map<std::string, std::shared_ptr<const widgets::AtlasData>> m_atlases;  // by capture
  std::map<std::string, widgets::AtlasView*> m_atlasViews;  // open atlas tabs, by capture
};

}  // namespace kvwb::app
