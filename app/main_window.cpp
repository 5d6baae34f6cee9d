// MainWindow: builds the docks, menus and tabs, turns user actions into ProjectSession jobs and
// dialogs, and wires the session's change signals to the tabs (overview, atlases, results).
#include "app/main_window.h"

#include <QCloseEvent>
#include <QCoreApplication>
#include <QDebug>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QSettings>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/formats/tensor_file.h"
#include "core/reports/counterpart.h"
#include "core/sweep/sweep.h"
#include "gpu/device.h"
#include "widgets/atlas_data.h"
#include "widgets/atlas_view.h"
#include "widgets/capture_details.h"
#include "widgets/compare_data.h"
#include "widgets/compare_view.h"
#include "widgets/damage_view.h"
#include "widgets/keep_map_view.h"
#include "widgets/extract_dialog.h"
#include "widgets/jobs_panel.h"
#include "widgets/project_overview.h"
#include "widgets/results_view.h"
#include "widgets/sweep_dialog.h"

namespace kvwb::app {
namespace {

std::filesystem::path toPath(const QString& path) {
  return std::filesystem::path(path.toStdString());
}

// Local files or folders from a drag, empty unless every one of them is importable.
QStringList droppedDumps(const QMimeData* mime) {
  QStringList paths;
  if (!mime->hasUrls()) return {};
  for (const QUrl& url : mime->urls()) {
    const QString path = url.toLocalFile();
    if (path.isEmpty() || !(QFileInfo(path).isDir() || core::isDumpFile(toPath(path)))) return {};
    paths << path;
  }
  return paths;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("KV Workbench"));
  setAcceptDrops(true);
  setDockNestingEnabled(true);

  m_overview = new widgets::ProjectOverview(m_session);
  connect(m_overview, &widgets::ProjectOverview::captureClicked, this, &MainWindow::selectCapture);
  connect(m_overview, &widgets::ProjectOverview::runClicked, this,
          [this](const QString& id) { openResults(sweepRuns(id.toStdString())); });
  connect(m_overview, &widgets::ProjectOverview::actionClicked, this, [this](const QString& step) {
    if (step == QLatin1String("import")) chooseDumps();
    if (step == QLatin1String("extract")) extractFromModel();
    if (step == QLatin1String("analyze")) analyzeAll();
    if (step == QLatin1String("sweep")) newSweep();
  });
  m_views = new QTabWidget;  // atlases, results and the comparison open here as tabs
  m_views->setObjectName(QStringLiteral("centralTabs"));
  m_views->setDocumentMode(true);
  m_views->setTabsClosable(true);
  m_views->addTab(m_overview, tr("Overview"));
  m_views->tabBar()->setTabButton(0, QTabBar::RightSide, nullptr);  // the overview stays
  // The Details dock follows the atlas in front.
  connect(m_views, &QTabWidget::currentChanged, this, [this] {
    for (const auto& [name, view] : m_atlasViews)
      if (view == m_views->currentWidget()) selectCapture(QString::fromStdString(name));
  });
  connect(m_views, &QTabWidget::tabCloseRequested, this, [this](int index) {
    QWidget* view = m_views->widget(index);
    std::erase_if(m_atlasViews, [view](const auto& entry) { return entry.second == view; });
    if (view == m_results) m_results = nullptr;
    if (view == m_damage) m_damage = nullptr;
    if (view == m_keepMap) m_keepMap = nullptr;
    m_views->removeTab(index);
    view->deleteLater();
  });
  setCentralWidget(m_views);

  createDocks();
  createMenus();
  connectSession();

  m_device =
      new QLabel(tr("device: %1")
                     .arg(QString::fromStdString(gpu::describeDevice(gpu::resolveDevice("auto")))));
  m_device->setObjectName(QStringLiteral("deviceLabel"));
  statusBar()->addPermanentWidget(m_device);
  m_overview->refresh();
  updateActions();
}

// The tabs follow the session: a new project closes the old one's tabs, atlases follow their
// stored analyses, the Results tab follows the runs.
void MainWindow::connectSession() {
  using widgets::ProjectSession;
  connect(&m_session, &ProjectSession::projectOpened, this, [this] {
    closeProjectTabs();
    m_overview->refresh();
    updateActions();
  });
  connect(&m_session, &ProjectSession::capturesChanged, this, [this] {
    m_overview->refresh();
    updateActions();
  });
  connect(&m_session, &ProjectSession::runsChanged, this, [this] {
    m_overview->refresh();
    updateActions();
    if (m_results) m_results->setProject(*m_session.project());
  });
  connect(&m_session, &ProjectSession::analysesChanged, this, [this] {
    refreshAtlasTabs();
    m_overview->refresh();
  });
  connect(&m_session, &ProjectSession::busyChanged, this, &MainWindow::updateActions);
  connect(&m_session, &ProjectSession::failed, this, &MainWindow::showError);
  connect(&m_session.jobs(), &widgets::JobRunner::jobFinished, this, &MainWindow::onJobFinished);
}

void MainWindow::createDocks() {
  m_tree = new QTreeView;
  m_tree->setObjectName(QStringLiteral("projectTree"));
  widgets::ProjectModel& model = m_session.model();
  m_tree->setModel(&model);
  m_tree->setUniformRowHeights(true);
  m_tree->header()->setSectionResizeMode(widgets::ProjectModel::NameColumn,
                                         QHeaderView::ResizeToContents);
  connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
          &MainWindow::onCurrentChanged);
  // A re-read that resets the tree keeps the selected item selected when it still exists (quietly:
  // the tabs already show it).
  connect(&model, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
    const QModelIndex current = m_tree->currentIndex();
    m_keptSelection = {current.parent().isValid() ? current.parent().row() : -1,
                       current.siblingAtColumn(widgets::ProjectModel::NameColumn).data().toString()};
  });
  connect(&model, &QAbstractItemModel::modelReset, this, [this, &model] {
    m_tree->expandAll();
    const auto [group, name] = m_keptSelection;
    const QSignalBlocker quiet(m_tree->selectionModel());
    if (group >= 0)
      m_tree->setCurrentIndex(model.find(static_cast<widgets::ProjectModel::Group>(group), name));
  });

  m_details = new widgets::CaptureDetails;
  auto* jobsPanel = new widgets::JobsPanel(m_session.jobs());

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
  // Floors that keep capture names and a job's status readable at 1366 x 768, where the docks'
  // preferred sizes below do not all fit beside the tabs.
  m_tree->setMinimumWidth(
      m_tree->fontMetrics().horizontalAdvance(QStringLiteral("tinystories  5×4×512×8")));
  jobsPanel->setMinimumHeight(5 * jobsPanel->fontMetrics().height());  // a job and its status
  resizeDocks({projectDock, detailsDock}, {300, 340}, Qt::Horizontal);
  resizeDocks({jobsDock}, {110}, Qt::Vertical);
}

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New Project…"), QKeySequence::New, this, &MainWindow::newProject);
  file->addAction(tr("&Open Project…"), QKeySequence::Open, this, &MainWindow::chooseProject);
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
  file->addSeparator();
  file->addAction(tr("&Import Dump…"), QKeySequence(tr("Ctrl+I")), this, &MainWindow::chooseDumps);
  file->addAction(tr("&Extract from Model…"), QKeySequence(tr("Ctrl+E")), this,
                  &MainWindow::extractFromModel);
  m_mergeAction = file->addAction(tr("&Merge Shards…"), this, &MainWindow::chooseShards);
  m_mergeAction->setStatusTip(
      tr("Fold sweep shard files (a cluster array's tasks, kvwb-cli sweep --shard) into the project"));
  file->addAction(tr("Export &Figure Set…"), this, [this] {
    if (!m_session.project()) return;
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the figure set"));
    if (!dir.isEmpty()) startFigureSetExport(dir, QStringLiteral("pdf"));
  });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* analysis = menuBar()->addMenu(tr("&Analysis"));
  m_analyzeAction =
      analysis->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Analyze Capture"),
                          QKeySequence(tr("Ctrl+R")), this, &MainWindow::analyzeSelected);
  m_analyzeAction->setObjectName(QStringLiteral("analyzeAction"));
  m_analyzeAction->setStatusTip(
      tr("Compute the structure atlas of the selected capture (autocorrelation, spectrum, rank, "
         "outlier dims, attention sinks)"));
  m_analyzeAllAction = analysis->addAction(
      tr("Analyze A&ll Captures"), QKeySequence(tr("Ctrl+Shift+R")), this, &MainWindow::analyzeAll);
  m_analyzeAllAction->setStatusTip(tr("Analyze every capture without a current analysis"));
  analysis->addSeparator();
  m_damageAction =
      analysis->addAction(tr("Which &Tokens Are Hurt…"), this, &MainWindow::chooseDamageJob);
  m_damageAction->setObjectName(QStringLiteral("damageAction"));
  m_damageAction->setStatusTip(
      tr("A sweep job's continuation text with each token shaded by its KL divergence or ΔNLL, "
         "and the top-5 next tokens with and without compression"));
  m_keepMapAction = analysis->addAction(tr("What Is &Kept…"), this, &MainWindow::chooseKeepMapJob);
  m_keepMapAction->setObjectName(QStringLiteral("keepMapAction"));
  m_keepMapAction->setStatusTip(
      tr("An eviction job's kept tokens: a target × token map with the attention each token "
         "receives, and the capture's text with the kept tokens highlighted"));
  m_allocationAction =
      analysis->addAction(tr("Allocate a &Byte Budget…"), this, &MainWindow::chooseAllocationSweep);
  m_allocationAction->setObjectName(QStringLiteral("allocationAction"));
  m_allocationAction->setStatusTip(
      tr("A method per layer, head, K and V from a sweep's results: least predicted damage within "
         "a byte budget, live on a slider, against the best uniform method"));
  QMenu* compression = menuBar()->addMenu(tr("&Compression"));
  m_sweepAction = compression->addAction(tr("New &Sweep…"), QKeySequence(tr("Ctrl+Shift+S")), this,
                                         &MainWindow::newSweep);
  m_sweepAction->setObjectName(QStringLiteral("sweepAction"));
  m_sweepAction->setStatusTip(
      tr("Compress captures with a grid of methods and parameters, measuring every metric"));
  compression->addAction(tr("&Results"), QKeySequence(tr("Ctrl+Shift+E")), this,
                         [this] { openResults(); });
  m_compareAction = compression->addAction(tr("&Compare SIREN vs SVD"), QKeySequence(tr("Ctrl+Shift+C")),
                                           this, &MainWindow::compareSelectedTarget);
  m_compareAction->setObjectName(QStringLiteral("compareAction"));
  m_compareAction->setStatusTip(
      tr("Fit a SIREN and an SVD of equal bytes to the selected atlas target and show them side by side"));
  menuBar()->addMenu(m_viewMenu);

  QToolBar* tools = addToolBar(tr("Main"));
  tools->setObjectName(QStringLiteral("mainToolBar"));  // saveState() key
  tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  tools->addAction(m_analyzeAction);
  m_viewMenu->addAction(tools->toggleViewAction());
}

void MainWindow::updateActions() {
  const auto& project = m_session.project();
  const bool captures = project && !project->captures().empty();
  m_analyzeAction->setEnabled(!m_session.analyzing() && !currentCapture().isEmpty());
  m_compareAction->setEnabled(!currentCapture().isEmpty());
  m_analyzeAllAction->setEnabled(!m_session.analyzing() && captures);
  m_sweepAction->setEnabled(!m_session.sweeping() && captures);
  m_mergeAction->setEnabled(project.has_value());
  m_damageAction->setEnabled(project && !m_session.model().runs().empty());
  m_keepMapAction->setEnabled(project && !m_session.model().runs().empty());
  m_allocationAction->setEnabled(project && !m_session.model().runs().empty());
}

QString MainWindow::currentCapture() const {
  const QModelIndex index = m_tree->currentIndex();
  const widgets::ProjectModel& model = m_session.model();
  if (const auto* capture = model.captureAt(index)) return QString::fromStdString(capture->name);
  return model.analysisCaptureAt(index);
}

void MainWindow::analyzeSelected() { analyzeCaptures({currentCapture()}); }

void MainWindow::analyzeAll() {
  QStringList names;
  for (const auto& capture : m_session.project()->captures())
    if (!m_session.atlas(capture.name)) names << QString::fromStdString(capture.name);
  if (names.isEmpty()) {
    statusBar()->showMessage(tr("Every capture's analysis is current."), 5000);
    return;
  }
  analyzeCaptures(names);
}

int MainWindow::analyzeCaptures(const QStringList& names) {
  if (!m_session.project() || names.isEmpty() || names.front().isEmpty()) {
    showError(tr("Analyze"), tr("Open a project and select a capture first."));
    return -1;
  }
  if (m_session.analyzing()) {
    showError(tr("Analyze"), tr("An analysis is already running (see the Jobs panel)."));
    return -1;
  }
  std::vector<std::string> captures;
  for (const QString& name : names) captures.push_back(name.toStdString());
  return m_session.analyze(captures, [this, first = names.front()] {
    selectCapture(first);
    openAtlas(first);
    statusBar()->showMessage(tr("Analyzed %1").arg(first), 5000);
  });
}

void MainWindow::newSweep() {
  if (!m_session.project()) return;
  auto* dialog = new widgets::SweepDialog(*m_session.project(), this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QDialog::accepted, this, [this, dialog] {
    if (const auto& cluster = dialog->clusterRun())
      startClusterSweep(dialog->spec(), *cluster);
    else
      startSweep(dialog->spec());
  });
  dialog->open();  // window-modal without a nested event loop
}

int MainWindow::startSweep(const nlohmann::json& spec) {
  const auto& project = m_session.project();
  if (!project) {
    showError(tr("Sweep"), tr("Open a project first."));
    return -1;
  }
  if (m_session.sweeping()) {
    showError(tr("Sweep"), tr("A sweep is already running (see the Jobs panel)."));
    return -1;
  }
  core::SweepSpec parsed;
  QStringList runIds;
  try {
    parsed = core::parseSweepSpec(spec, "sweep");
    for (const core::SweepJob& job : core::planSweep(*project, parsed))
      if (!runIds.contains(QString::fromStdString(job.runId)))
        runIds << QString::fromStdString(job.runId);
  } catch (const std::exception& e) {
    showError(tr("Sweep"), QString::fromStdString(e.what()));
    return -1;
  }
  const int id = m_session.sweep(parsed, [this](const core::SweepSummary& summary) {
    statusBar()->showMessage(tr("Sweep finished: %1 job(s) run, %2 skipped, %3 infeasible")
                                 .arg(summary.done)
                                 .arg(summary.skipped)
                                 .arg(summary.infeasible.size()),
                             8000);
  });
  openResults(runIds);
  return id;
}

QStringList MainWindow::sweepRuns(const std::string& runId) const {
  const std::string sweep = runId.substr(0, runId.find('.') + 1);  // "<sweep>." of <sweep>.<capture>.<method>
  QStringList ids;
  for (const auto& run : m_session.model().runs())
    if (run.id.starts_with(sweep)) ids << QString::fromStdString(run.id);
  return ids;
}

bool MainWindow::openProject(const QString& path) {
  try {
    m_session.open(toPath(path));
  } catch (const std::exception& e) {
    m_recent.remove(path);
    showError(tr("Open Project"), QString::fromStdString(e.what()));
    return false;
  }
  m_recent.add(path);
  setWindowTitle(tr("%1 — KV Workbench").arg(QFileInfo(path).fileName()));
  statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
  // The results and the first capture's atlas open behind the Overview, the project's front page.
  if (!m_session.model().runs().empty()) openResults();
  const auto& captures = m_session.project()->captures();
  if (!captures.empty()) selectCapture(QString::fromStdString(captures.front().name));
  m_views->setCurrentWidget(m_overview);
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
  QStringList patterns;
  for (const std::string& suffix : core::dumpSuffixes())
    patterns << QStringLiteral("*") + QString::fromStdString(suffix);
  const QString filter = tr("KV dumps (%1)").arg(patterns.join(QLatin1Char(' ')));
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

int MainWindow::startExtraction(const core::ExtractOptions& options) {
  if (!m_session.project()) {
    showError(tr("Extract"), tr("Open or create a project first (File menu)."));
    return -1;
  }
  return m_session.extract(options, [this](const core::CaptureInfo& capture) {
    selectCapture(QString::fromStdString(capture.name));
    statusBar()->showMessage(tr("Extracted %1").arg(QString::fromStdString(capture.name)), 5000);
  });
}

int MainWindow::startFigureSetExport(const QString& dir, const QString& format) {
  if (!m_session.project()) return -1;
  const QStringList args = {QStringLiteral("--export-figures"), dir, QStringLiteral("--format"), format,
                            QString::fromStdString(m_session.project()->path().string())};
  return m_session.jobs().start(
      tr("Figure set → %1").arg(dir), "cpu",
      [program = m_guiProgram.isEmpty() ? QCoreApplication::applicationFilePath() : m_guiProgram, args](core::JobContext& ctx) {
        QProcess child;  // created on the worker thread that waits for it
        child.start(program, args);
        ctx.report(0.1, "rendering figures");
        while (!child.waitForFinished(200)) {
          if (child.state() == QProcess::NotRunning) break;
          if (ctx.cancelled()) {
            child.kill();
            child.waitForFinished();
            throw core::Cancelled();
          }
        }
        if (child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0)
          throw std::runtime_error(QString::fromUtf8(child.readAllStandardError()).trimmed().toStdString());
        return QString::fromUtf8(child.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts).size();
      },
      [this, dir](int files) {
        statusBar()->showMessage(tr("Wrote %1 figure(s) to %2").arg(files).arg(dir), 8000);
      });
}

int MainWindow::importDumps(const QStringList& paths) {
  if (!m_session.project()) {
    showError(tr("Import"), tr("%1: open or create a project first (File menu).")
                                .arg(QFileInfo(paths.front()).fileName()));
    return -1;
  }
  std::vector<std::filesystem::path> dumps;
  for (const QString& p : paths) dumps.push_back(toPath(p));
  return m_session.importDumps(dumps, [this](const core::CaptureInfo& capture) {
    selectCapture(QString::fromStdString(capture.name));
    statusBar()->showMessage(tr("Imported %1").arg(QString::fromStdString(capture.name)), 5000);
  });
}

void MainWindow::onJobFinished(int id) {
  const widgets::JobStatus& s = m_session.jobs().status(id);
  if (s.state == widgets::JobState::Failed) showError(s.title, s.error);
}

void MainWindow::selectCapture(const QString& name) {
  const QModelIndex index = m_session.model().find(widgets::ProjectModel::Captures, name);
  if (index.isValid()) m_tree->setCurrentIndex(index);
}

void MainWindow::onCurrentChanged(const QModelIndex& current) {
  const widgets::ProjectModel& model = m_session.model();
  if (const auto* capture = model.captureAt(current))
    m_details->showCapture(*capture);
  else
    m_details->clear();
  if (const auto* run = model.runAt(current)) openResults(sweepRuns(run->id));
  openAtlas(currentCapture());
  updateActions();
}

int MainWindow::startClusterSweep(const nlohmann::json& spec, const widgets::ClusterRun& run) {
  try {
    const core::SweepSpec parsed = core::parseSweepSpec(spec, "sweep");
    return m_session.clusterSweep(parsed, run.options, run.submit, [this](const QString& message) {
      statusBar()->showMessage(message, 15000);
      auto* box = new QMessageBox(QMessageBox::Information, tr("Cluster Sweep"), message,
                                  QMessageBox::Ok, this);
      box->setAttribute(Qt::WA_DeleteOnClose);
      box->setTextInteractionFlags(Qt::TextSelectableByMouse);
      box->open();
    });
  } catch (const std::exception& e) {
    showError(tr("Cluster Sweep"), QString::fromStdString(e.what()));
    return -1;
  }
}

void MainWindow::chooseShards() {
  const auto& project = m_session.project();
  if (!project) return;
  const QString dir = QString::fromStdString(project->path().parent_path().string());
  const QStringList files = QFileDialog::getOpenFileNames(
      this, tr("Merge Shards"), dir, tr("Sweep shards (*.shard-*-of-*)"));
  if (files.isEmpty()) return;
  std::vector<std::filesystem::path> shards;
  for (const QString& file : files) shards.push_back(toPath(file));
  mergeShards(shards);
}

int MainWindow::mergeShards(const std::vector<std::filesystem::path>& shards) {
  return m_session.mergeShards(shards, [this](const core::MergeReport& report) {
    std::ostringstream text;
    core::writeMergeReport(report, text);
    auto* box = new QMessageBox(report.complete() ? QMessageBox::Information : QMessageBox::Warning,
                                tr("Merge Shards"), QString::fromStdString(text.str()),
                                QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    openResults();
  });
}

void MainWindow::extractFromModel() {
  std::set<std::string> taken;
  if (m_session.project())
    for (const core::CaptureInfo& c : m_session.project()->captures()) taken.insert(c.name);
  widgets::ExtractDialog dialog(std::move(taken), this);
  if (dialog.exec() == QDialog::Accepted) startExtraction(dialog.options());
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
