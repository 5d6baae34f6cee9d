// The KV Workbench main window: project explorer, details and jobs docks around a central view
// area; File menu (new, open, recent, import, quit); dumps dropped on the window are imported as
// background jobs. GUI thread only; core work runs through JobRunner.
#pragma once

#include <QMainWindow>
#include <QString>
#include <QStringList>

#include "app/recent_projects.h"
#include "widgets/job_runner.h"
#include "widgets/project_model.h"

class QLabel;
class QMenu;
class QTreeView;

namespace kvwb::widgets {
class CaptureDetails;
}

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
};

}  // namespace kvwb::app
