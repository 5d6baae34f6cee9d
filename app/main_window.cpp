// MainWindow: builds the docks and menus, opens projects through core::Project and imports dumps
// through core::importCapture on the JobRunner; the project listing is reloaded on the GUI thread.
#include "app/main_window.h"

#include <QCloseEvent>
#include <QDebug>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTreeView>
#include <filesystem>

#include "core/capture_import.h"
#include "widgets/capture_details.h"
#include "widgets/jobs_panel.h"

namespace kvwb::app {
namespace {

const QStringList kDumpSuffixes = {QStringLiteral("safetensors"), QStringLiteral("npy"),
                                   QStringLiteral("npz"), QStringLiteral("h5"),
                                   QStringLiteral("hdf5")};

std::filesystem::path toPath(const QString& path) {
  return std::filesystem::path(path.toStdString());
}

// Local files or folders from a drag, empty unless every one of them is importable.
QStringList droppedDumps(const QMimeData* mime) {
  QStringList paths;
  if (!mime->hasUrls()) return {};
  for (const QUrl& url : mime->urls()) {
    const QString path = url.toLocalFile();
    if (path.isEmpty() || !(QFileInfo(path).isDir() || MainWindow::isDumpFile(path))) return {};
    paths << path;
  }
  return paths;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_jobs(QThread::idealThreadCount()) {
  setWindowTitle(tr("KV Workbench"));
  setAcceptDrops(true);
  setDockNestingEnabled(true);

  m_overview = new QLabel;
  m_overview->setAlignment(Qt::AlignCenter);
  m_overview->setWordWrap(true);
  m_overview->setEnabled(false);
  auto* views = new QTabWidget;  // heatmaps, spectra and sweep results open here as tabs
  views->setDocumentMode(true);
  views->addTab(m_overview, tr("Overview"));
  setCentralWidget(views);

  createDocks();
  createMenus();

  m_device = new QLabel(tr("device: CPU"));
  m_device->setObjectName(QStringLiteral("deviceLabel"));
  statusBar()->addPermanentWidget(m_device);
  connect(&m_jobs, &widgets::JobRunner::jobFinished, this, &MainWindow::onJobFinished);
  updateOverview();
}

void MainWindow::createDocks() {
  m_tree = new QTreeView;
  m_tree->setObjectName(QStringLiteral("projectTree"));
  m_tree->setModel(&m_model);
  m_tree->setUniformRowHeights(true);
  m_tree->header()->setSectionResizeMode(widgets::ProjectModel::NameColumn,
                                         QHeaderView::ResizeToContents);
  connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
          &MainWindow::onCurrentChanged);
  connect(&m_model, &QAbstractItemModel::modelReset, m_tree, &QTreeView::expandAll);

  m_details = new widgets::CaptureDetails;
  auto* jobsPanel = new widgets::JobsPanel(m_jobs);

  m_viewMenu = new QMenu(tr("&View"), this);
  const auto addDock = [this](QWidget* content, const QString& title, const QString& name,
                              Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(name);  // saveState() keys
    dock->setWidget(content);
    addDockWidget(area, dock);
    m_viewMenu->addAction(dock->toggleViewAction());
    return dock;
  };
  auto* projectDock =
      addDock(m_tree, tr("Project"), QStringLiteral("projectDock"), Qt::LeftDockWidgetArea);
  auto* detailsDock =
      addDock(m_details, tr("Details"), QStringLiteral("detailsDock"), Qt::RightDockWidgetArea);
  auto* jobsDock =
      addDock(jobsPanel, tr("Jobs"), QStringLiteral("jobsDock"), Qt::BottomDockWidgetArea);
  resizeDocks({projectDock, detailsDock}, {300, 400}, Qt::Horizontal);
  resizeDocks({jobsDock}, {140}, Qt::Vertical);
}

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New Project…"), QKeySequence::New, this, &MainWindow::newProject);
  file->addAction(tr("&Open Project…"), QKeySequence::Open, this, &MainWindow::chooseProject);
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
  file->addSeparator();
  file->addAction(tr("&Import Dump…"), QKeySequence(tr("Ctrl+I")), this, &MainWindow::chooseDumps);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  menuBar()->addMenu(m_viewMenu);
}

bool MainWindow::isDumpFile(const QString& path) {
  return kDumpSuffixes.contains(QFileInfo(path).suffix(), Qt::CaseInsensitive);
}

bool MainWindow::openProject(const QString& path) {
  try {
    m_model.setProject(core::Project::open(toPath(path)));
  } catch (const std::exception& e) {
    m_recent.remove(path);
    showError(tr("Open Project"), QString::fromStdString(e.what()));
    return false;
  }
  m_recent.add(path);
  setWindowTitle(tr("%1 — KV Workbench").arg(QFileInfo(path).fileName()));
  statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
  const auto& captures = m_model.project()->captures();
  if (!captures.empty()) selectCapture(QString::fromStdString(captures.front().name));
  updateOverview();
  return true;
}

void MainWindow::newProject() {
  const QString path = QFileDialog::getSaveFileName(this, tr("New Project"), QString(),
                                                    tr("KV Workbench projects (*.kvw)"));
  if (path.isEmpty()) return;
  try {
    std::filesystem::remove(toPath(path));  // the dialog already asked to overwrite
    core::Project::create(toPath(path));
  } catch (const std::exception& e) {
    showError(tr("New Project"), QString::fromStdString(e.what()));
    return;
  }
  openProject(path);
}

void MainWindow::chooseProject() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), QString(),
                                                    tr("KV Workbench projects (*.kvw)"));
  if (!path.isEmpty()) openProject(path);
}

void MainWindow::chooseDumps() {
  const QString filter = tr("KV dumps (*.%1)").arg(kDumpSuffixes.join(QStringLiteral(" *.")));
  const QStringList paths =
      QFileDialog::getOpenFileNames(this, tr("Import Dump"), QString(), filter);
  if (!paths.isEmpty()) importDumps(paths);
}

void MainWindow::fillRecentMenu() {
  m_recentMenu->clear();
  for (const QString& path : m_recent.paths())
    m_recentMenu->addAction(path, this, [this, path] { openProject(path); });
  if (m_recentMenu->isEmpty()) m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
  m_recentMenu->addSeparator();
  m_recentMenu->addAction(tr("Clear List"), this, [this] { m_recent.clear(); });
}

int MainWindow::importDumps(const QStringList& paths) {
  const QString name = QFileInfo(paths.front()).fileName();
  if (!m_model.project()) {
    showError(tr("Import"), tr("%1: open or create a project first (File menu).").arg(name));
    return -1;
  }
  std::vector<std::filesystem::path> dumps;
  for (const QString& p : paths) dumps.push_back(toPath(p));
  const QString title = paths.size() == 1
                            ? tr("Import %1").arg(name)
                            : tr("Import %1 and %2 more").arg(name).arg(paths.size() - 1);
  return m_jobs.start(
      title,
      [dumps, project = m_model.project()->path()](core::JobContext& ctx) {
        return core::importCapture(dumps, project, core::ImportOptions{}, ctx);
      },
      [this](const core::CaptureInfo& capture) {
        reloadProject();
        selectCapture(QString::fromStdString(capture.name));
        statusBar()->showMessage(tr("Imported %1").arg(QString::fromStdString(capture.name)), 5000);
      });
}

void MainWindow::onJobFinished(int id) {
  const widgets::JobStatus& s = m_jobs.status(id);
  if (s.state == widgets::JobState::Failed) showError(s.title, s.error);
  // A cancel that arrived after the import committed leaves a new capture: show what is there.
  if (s.state == widgets::JobState::Cancelled) reloadProject();
}

void MainWindow::reloadProject() {
  try {
    m_model.reload();
  } catch (const std::exception& e) {
    showError(tr("Reload Project"), QString::fromStdString(e.what()));
  }
  updateOverview();
}

void MainWindow::selectCapture(const QString& name) {
  const QModelIndex group = m_model.groupIndex(widgets::ProjectModel::Captures);
  for (int row = 0; row < m_model.rowCount(group); ++row) {
    const QModelIndex index = m_model.index(row, 0, group);
    if (m_model.data(index).toString() == name) {
      m_tree->setCurrentIndex(index);
      return;
    }
  }
}

void MainWindow::onCurrentChanged(const QModelIndex& current) {
  if (const auto* capture = m_model.captureAt(current))
    m_details->showCapture(*capture);
  else
    m_details->clear();
}

void MainWindow::updateOverview() {
  const auto& project = m_model.project();
  if (!project) {
    m_overview->setText(
        tr("Open a project (File → Open) or create one (File → New).\n"
           "Drop .safetensors / .npy / .npz / .h5 KV dumps on the window to import "
           "them."));
    return;
  }
  m_overview->setText(tr("%1\n\n%n capture(s), %2 run(s).\nViews of the selected capture will "
                         "open here.",
                         nullptr, static_cast<int>(project->captures().size()))
                          .arg(QString::fromStdString(project->path().filename().string()))
                          .arg(m_model.rowCount(m_model.groupIndex(widgets::ProjectModel::Runs))));
}

void MainWindow::showError(const QString& title, const QString& text) {
  qWarning().noquote() << title + QStringLiteral(": ") + text;  // also for --screenshot runs
  // Window-modal and non-blocking: never a nested event loop inside a slot or a job's end.
  auto* box = new QMessageBox(QMessageBox::Critical, title, text, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

void MainWindow::restoreLayout() {
  QSettings settings;
  restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
  restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("mainWindow/state"), saveState());
  QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (!droppedDumps(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  const QStringList paths = droppedDumps(event->mimeData());
  if (paths.isEmpty()) return;
  event->acceptProposedAction();
  importDumps(paths);
}

}  // namespace kvwb::app
