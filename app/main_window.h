// The KV Workbench main window: project explorer, details and jobs docks around central tabs (an
// overview, one structure atlas per opened capture, the results of runs, a comparison, the tokens
// a job hurts, what an eviction job keeps, a byte budget's allocation); File menu (new, open,
// recent, import, extract, figure set, quit), Analysis menu and toolbar (analyze the selected or
// every capture; which tokens a job hurts; what an eviction job keeps; allocate a byte budget),
// Compression menu (new sweep, results, compare); dumps dropped on the window are imported. Window chrome only: the open project, its atlases and the jobs live in a
// widgets::ProjectSession whose change signals the tabs follow. GUI thread only.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "app/recent_projects.h"
#include "core/capture/capture_extract.h"
#include "widgets/cluster_dialog.h"
#include "widgets/project_session.h"

class QAction;
class QLabel;
class QMenu;
class QTabWidget;
class QTreeView;

namespace kvwb::widgets {
class AllocationView;
class AtlasView;
class CompareView;
class DamageView;
class KeepMapView;
struct DamageJobChoice;
struct ComparePair;
class CaptureDetails;
class ProjectOverview;
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
  // Analyzes the named captures one after another in one job, then opens the first one's atlas.
  // Returns the job id, or -1 (with an error shown) without a project, without captures, or while
  // another analysis runs.
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
  // shows its runs and follows them while it runs. Returns the job id, or -1 (with an error
  // shown) without a project, with an invalid spec, or while another sweep runs.
  int startSweep(const nlohmann::json& spec);
  // Writes (and with run.submit, submits and follows) the sweep `spec` as a Slurm job array of
  // shards plus a merge job, as a job. Returns the job id, or -1 (with an error shown).
  int startClusterSweep(const nlohmann::json& spec, const widgets::ClusterRun& run);
  // Merges sweep shard files into the open project as a job, then shows the merge report and the
  // results. Returns the job id, or -1 without a project.
  int mergeShards(const std::vector<std::filesystem::path>& shards);
  // Opens (or shows) the Results tab with the rows of `runIds`; with none, the runs of the
  // project's latest sweep. Null without a project.
  widgets::ResultsView* openResults(const QStringList& runIds = {});
  // Measures, token by token, the quality windows of the job whose key starts with `jobKey` in the
  // background and shows them in the Damage tab (opened or reused). Null without a project.
  widgets::DamageView* openDamage(const QString& jobKey);
  // Analysis → Which Tokens Are Hurt…: asks for one of the project's jobs (the one last clicked
  // in the Results view preselected), then openDamage().
  void chooseDamageJob();
  // Fits the eviction job whose key starts with `jobKey` again in the background and shows what
  // it keeps in the Keep map tab (opened or reused). Null without a project.
  widgets::KeepMapView* openKeepMap(const QString& jobKey);
  // Analysis → What Is Kept…: asks for one of the project's eviction jobs (the one last clicked
  // in the Results view preselected), then openKeepMap().
  void chooseKeepMapJob();
  // Shows the byte-budget allocation of the runs of `sweep` (a sweep name or run id) in the
  // Allocation tab (opened or reused); its "Run this allocation" runs startSweep(). Null without a
  // project or when the runs cannot be allocated (the error shown).
  widgets::AllocationView* openAllocation(const QString& sweep);
  // Analysis → Allocate a Byte Budget…: asks for one of the project's sweeps (the latest
  // preselected), then openAllocation().
  void chooseAllocationSweep();
  void restoreLayout();  // window geometry and dock state from QSettings

  widgets::ProjectSession& session() { return m_session; }
  widgets::ProjectModel& projectModel() { return m_session.model(); }
  widgets::JobRunner& jobRunner() { return m_session.jobs(); }

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void createMenus();
  void createDocks();
  void connectSession();
  void analyzeSelected();
  void analyzeAll();
  void newSweep();
  QStringList sweepRuns(const std::string& runId) const;  // every run of runId's sweep
  void closeProjectTabs();    // the atlas and results tabs of the previous project
  void refreshAtlasTabs();    // open atlases follow the session's; one without an atlas closes
  void openCounterpart(const QString& runId, int layer, int head, const QString& kind,
                       const QString& paramsJson);  // a clicked fit vs its equal-bytes counterpart
  // A window-modal list of `choices` (the last clicked job preselected); `open` gets the chosen
  // job's key.
  void askForJob(const QString& title, const QString& text, const QString& objectName,
                 const std::vector<widgets::DamageJobChoice>& choices,
                 const std::function<void(const QString&)>& open);
  QString currentCapture() const;  // the selected capture (or analysis row's capture), or empty
  void updateActions();
  void newProject();
  void chooseProject();
  void chooseDumps();
  void chooseShards();  // File → Merge Shards…
  void fillRecentMenu();
  void selectCapture(const QString& name);
  void onCurrentChanged(const QModelIndex& current);
  void onJobFinished(int id);
  void extractFromModel();  // the extraction dialog, then the extraction job
  void showError(const QString& title, const QString& text);

  widgets::ProjectSession m_session;
  RecentProjects m_recent;
  QTreeView* m_tree = nullptr;
  widgets::CaptureDetails* m_details = nullptr;
  widgets::ProjectOverview* m_overview = nullptr;
  QLabel* m_device = nullptr;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_viewMenu = nullptr;
  QTabWidget* m_views = nullptr;
  QAction* m_analyzeAction = nullptr;
  QAction* m_analyzeAllAction = nullptr;
  QAction* m_sweepAction = nullptr;
  QAction* m_compareAction = nullptr;
  QAction* m_mergeAction = nullptr;
  QAction* m_damageAction = nullptr;
  QAction* m_keepMapAction = nullptr;
  QAction* m_allocationAction = nullptr;
  widgets::ResultsView* m_results = nullptr;  // the Results tab, while open
  widgets::CompareView* m_compare = nullptr;  // the Compare tab, while open
  QPointer<widgets::DamageView> m_damage;     // the Damage tab, while open
  QPointer<widgets::KeepMapView> m_keepMap;   // the Keep map tab, while open
  QPointer<widgets::AllocationView> m_allocation;  // the Allocation tab, while open
  std::string m_selectedJob;  // the job of the fit last clicked in the Results view
  QString m_guiProgram;                         // empty: QCoreApplication::applicationFilePath()
  // The tree's selection across a model reset: its group and name, or group -1.
  std::pair<int, QString> m_keptSelection{-1, {}};
  std::map<std::string, widgets::AtlasView*> m_atlasViews;  // open atlas tabs, by capture
};

}  // namespace kvwb::app
