// MainWindow: builds the docks and menus, opens projects through core::Project, imports dumps
// through core::importCapture, analyzes captures through core::analyzeCapture and runs sweeps
// through core::runSweep on the JobRunner; the project listing, the stored analyses and the
// results are re-read on the GUI thread.
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
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>
#include <filesystem>

#include "core/analysis/capture_analysis.h"
#include "core/capture_import.h"
#include "core/compress/sweep.h"
#include "gpu/device.h"
#include "widgets/atlas_view.h"
#include "widgets/capture_details.h"
#include "widgets/compare_data.h"
#include "widgets/compare_view.h"
#include "widgets/extract_dialog.h"
#include "widgets/jobs_panel.h"
#include "widgets/results_view.h"
#include "widgets/sweep_dialog.h"

namespace kvwb::app {
namespace {

constexpr int kResultsRefreshMs = 1500;  // how often a running sweep's rows are re-read

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

// The progress of capture `index` of `count` in a job that analyzes them one after another.
class CaptureStepContext final : public core::JobContext {
 public:
  CaptureStepContext(core::JobContext& job, std::size_t index, std::size_t count, std::string name)
      : m_job(job), m_index(index), m_count(count), m_name(std::move(name)) {}
  bool cancelled() const override { return m_job.cancelled(); }

 protected:
  void onProgress(double fraction, const std::string& what) override {
    m_job.report((static_cast<double>(m_index) + fraction) / static_cast<double>(m_count),
                 m_name + ": " + what);
  }

 private:
  core::JobContext& m_job;
  std::size_t m_index, m_count;
  std::string m_name;
};

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_jobs(QThread::idealThreadCount()) {
  setWindowTitle(tr("KV Workbench"));
  setAcceptDrops(true);
  setDockNestingEnabled(true);

  m_overview = new QLabel;
  m_overview->setAlignment(Qt::AlignCenter);
  m_overview->setWordWrap(true);
  m_overview->setEnabled(false);
  m_views = new QTabWidget;  // atlases (and later sweep results) open here as tabs
  m_views->setObjectName(QStringLiteral("centralTabs"));
  m_views->setDocumentMode(true);
  m_views->setTabsClosable(true);
  m_views->addTab(m_overview, tr("Overview"));
  m_views->tabBar()->setTabButton(0, QTabBar::RightSide, nullptr);  // the overview stays
  connect(m_views, &QTabWidget::tabCloseRequested, this, [this](int index) {
    QWidget* view = m_views->widget(index);
    std::erase_if(m_atlasViews, [view](const auto& entry) { return entry.second == view; });
    if (view == m_results) m_results = nullptr;
    m_views->removeTab(index);
    view->deleteLater();
  });
  setCentralWidget(m_views);

  createDocks();
  createMenus();

  m_device =
      new QLabel(tr("device: %1")
                     .arg(QString::fromStdString(gpu::describeDevice(gpu::resolveDevice("auto")))));
  m_device->setObjectName(QStringLiteral("deviceLabel"));
  statusBar()->addPermanentWidget(m_device);
  connect(&m_jobs, &widgets::JobRunner::jobFinished, this, &MainWindow::onJobFinished);
  m_resultsRefresh.setInterval(kResultsRefreshMs);
  connect(&m_resultsRefresh, &QTimer::timeout, this, [this] {
    if (m_results) m_results->refresh();
  });
  updateOverview();
  updateActions();
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
  file->addAction(tr("&Extract from Model…"), QKeySequence(tr("Ctrl+E")), this, [this] {
    widgets::ExtractDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted) startExtraction(dialog.options());
  });
  file->addAction(tr("Export &Figure Set…"), this, [this] {
    if (!m_model.project()) return;
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
  const bool idle = m_analyzeJob < 0;
  m_analyzeAction->setEnabled(idle && !currentCapture().isEmpty());
  m_compareAction->setEnabled(!currentCapture().isEmpty());
  m_analyzeAllAction->setEnabled(idle && m_model.project() &&
                                 !m_model.project()->captures().empty());
  m_sweepAction->setEnabled(m_sweepJob < 0 && m_model.project() &&
                            !m_model.project()->captures().empty());
}

QString MainWindow::currentCapture() const {
  const QModelIndex index = m_tree->currentIndex();
  if (const auto* capture = m_model.captureAt(index)) return QString::fromStdString(capture->name);
  return m_model.analysisCaptureAt(index);
}

void MainWindow::analyzeSelected() { analyzeCaptures({currentCapture()}); }

void MainWindow::analyzeAll() {
  QStringList names;
  for (const auto& capture : m_model.project()->captures())
    if (!m_atlases.contains(capture.name)) names << QString::fromStdString(capture.name);
  if (names.isEmpty()) {
    statusBar()->showMessage(tr("Every capture's analysis is current."), 5000);
    return;
  }
  analyzeCaptures(names);
}

namespace {
// " on cpu" / " on cuda:0" for job titles, so the Jobs panel says where each job runs.
QString onDevice(const std::string& requested) {
  try {
    return QObject::tr(" on %1").arg(QString::fromStdString(gpu::resolveDevice(requested)));
  } catch (const std::exception&) {
    return {};  // the job itself reports the bad device
  }
}
}  // namespace

int MainWindow::analyzeCaptures(const QStringList& names) {
  if (!m_model.project() || names.isEmpty() || names.front().isEmpty()) {
    showError(tr("Analyze"), tr("Open a project and select a capture first."));
    return -1;
  }
  if (m_analyzeJob >= 0) {
    showError(tr("Analyze"), tr("An analysis is already running (see the Jobs panel)."));
    return -1;
  }
  std::vector<std::string> captures;
  for (const QString& name : names) captures.push_back(name.toStdString());
  const QString title = (names.size() == 1
                             ? tr("Analyze %1").arg(names.front())
                             : tr("Analyze %1 and %2 more").arg(names.front()).arg(names.size() - 1)) +
                        onDevice("auto");
  m_analyzeJob = m_jobs.start(
      title,
      [captures, project = *m_model.project()](core::JobContext& ctx) {
        for (std::size_t i = 0; i < captures.size(); ++i) {
          CaptureStepContext step(ctx, i, captures.size(), captures[i]);
          core::saveAnalysis(project.path(), core::analyzeCapture(project, captures[i],
                                                                  core::AnalysisOptions{}, step));
        }
      },
      [this, first = names.front()] {
        reloadProject();
        selectCapture(first);  // the reload cleared the selection; selecting opens the atlas
        statusBar()->showMessage(tr("Analyzed %1").arg(first), 5000);
      });
  updateActions();
  return m_analyzeJob;
}

void MainWindow::newSweep() {
  if (!m_model.project()) return;
  auto* dialog = new widgets::SweepDialog(*m_model.project(), this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QDialog::accepted, this, [this, dialog] { startSweep(dialog->spec()); });
  dialog->open();  // window-modal without a nested event loop
}

int MainWindow::startSweep(const nlohmann::json& spec) {
  if (!m_model.project()) {
    showError(tr("Sweep"), tr("Open a project first."));
    return -1;
  }
  if (m_sweepJob >= 0) {
    showError(tr("Sweep"), tr("A sweep is already running (see the Jobs panel)."));
    return -1;
  }
  core::SweepSpec parsed;
  QStringList runIds;
  try {
    parsed = core::parseSweepSpec(spec, "sweep");
    for (const core::SweepJob& job : core::planSweep(*m_model.project(), parsed))
      if (!runIds.contains(QString::fromStdString(job.runId)))
        runIds << QString::fromStdString(job.runId);
  } catch (const std::exception& e) {
    showError(tr("Sweep"), QString::fromStdString(e.what()));
    return -1;
  }
  m_sweepJob = m_jobs.start(
      tr("Sweep %1").arg(QString::fromStdString(parsed.name)) + onDevice(parsed.device),
      [parsed, project = m_model.project()->path()](core::JobContext& ctx) {
        return core::runSweep(project, parsed, ctx);
      },
      [this](const core::SweepSummary& summary) {
        statusBar()->showMessage(tr("Sweep finished: %1 job(s) run, %2 skipped, %3 infeasible")
                                     .arg(summary.done)
                                     .arg(summary.skipped)
                                     .arg(summary.infeasible.size()),
                                 8000);
      });
  openResults(runIds);
  m_resultsRefresh.start();
  updateActions();
  return m_sweepJob;
}

namespace {
// The clicked fit of `run` against its counterpart at equal bytes: SVD for a fit without a rank,
// a tiny SIREN for a rank method (SVD, PCA, ...). Sweep bookkeeping keys are dropped.
widgets::ComparePair counterpartPair(const std::filesystem::path& project, const core::RunInfo& run,
                                     int layer, int head, const std::string& kind,
                                     const std::string& paramsJson) {
  widgets::ComparePair pair;
  pair.project = project;
  pair.capture = run.capture;
  pair.layer = layer;
  pair.head = head;
  pair.kind = kind;
  auto params = nlohmann::json::parse(paramsJson, nullptr, false);
  if (!params.is_object()) params = nlohmann::json::object();
  for (const char* key : {"job", "seq_len", "infeasible", "delta_ppl_note"}) params.erase(key);
  params["method"] = run.method;
  pair.a = params;
  if (params.contains("rank"))
    pair.b = {{"method", "siren"}, {"config", "tiny"}, {"epochs", 300}, {"lr", 0.001}};
  else
    pair.b = {{"method", "svd"}, {"equal_bytes", true}};
  return pair;
}
}  // namespace

QStringList MainWindow::sweepRuns(const std::string& runId) const {
  const std::string sweep = runId.substr(0, runId.find('.') + 1);  // "<sweep>." of <sweep>.<capture>.<method>
  QStringList ids;
  for (const auto& run : m_model.project()->runs())
    if (run.id.starts_with(sweep)) ids << QString::fromStdString(run.id);
  return ids;
}

widgets::ResultsView* MainWindow::openResults(const QStringList& runIds) {
  const auto& project = m_model.project();
  if (!project) return nullptr;
  QStringList ids = runIds;
  if (ids.isEmpty()) {
    const auto runs = project->runs();
    if (!runs.empty()) ids = sweepRuns(runs.back().id);
  }
  if (!m_results) {
    m_results = new widgets::ResultsView;
    m_results->setObjectName(QStringLiteral("results"));
    m_results->setProject(*project);
    // A clicked per-target fit opens side by side with its counterpart at equal bytes.
    connect(m_results, &widgets::ResultsView::fitSelected, this,
            [this](const QString& runId, int layer, int head, const QString& kind,
                   const QString& params) {
              if (layer < 0 || (kind != "K" && kind != "V")) {
                statusBar()->showMessage(tr("Job aggregates have no single target to compare"), 5000);
                return;
              }
              for (const auto& run : m_model.project()->runs())
                if (run.id == runId.toStdString())
                  openCompare(counterpartPair(m_model.project()->path(), run, layer, head,
                                              kind.toStdString(), params.toStdString()));
            });
    m_views->addTab(m_results, tr("Results"));
  }
  m_results->showRuns(ids);
  m_views->setCurrentWidget(m_results);
  return m_results;
}

widgets::CompareView* MainWindow::openCompare(const widgets::ComparePair& pair) {
  if (!m_compare) {
    m_compare = new widgets::CompareView;
    m_compare->setObjectName(QStringLiteral("compare"));
    connect(m_compare, &widgets::CompareView::failed, this,
            [this](const QString& message) { showError(tr("Compare"), message); });
    connect(m_compare, &QObject::destroyed, this, [this] { m_compare = nullptr; });
    m_views->addTab(m_compare, tr("Compare"));
  }
  m_compare->showFits(pair);
  m_views->setCurrentWidget(m_compare);
  return m_compare;
}

void MainWindow::compareSelectedTarget() {
  const QString capture = currentCapture();
  if (capture.isEmpty() || !m_model.project()) return;
  widgets::AtlasTarget target;
  if (const auto it = m_atlasViews.find(capture.toStdString()); it != m_atlasViews.end())
    target = it->second->target();
  const std::string kind = target.kind == 1 ? "V" : "K";  // pre-RoPE keys compare as keys
  openCompare(widgets::sirenVsSvd(m_model.project()->path(), capture.toStdString(), target.layer,
                                  target.head, kind, "tiny", 300));
}

void MainWindow::loadAtlases() {
  m_atlases.clear();
  if (const auto& project = m_model.project()) {
    for (const auto& capture : project->captures()) {
      try {
        if (auto analysis = core::loadAnalysis(*project, capture.name))
          m_atlases.emplace(capture.name,
                            std::make_shared<const widgets::AtlasData>(
                                std::make_shared<const core::CaptureAnalysis>(std::move(*analysis)),
                                widgets::AtlasData::displayLabel(capture)));
      } catch (const std::exception& e) {
        showError(tr("Load Analysis"), QString::fromStdString(e.what()));
      }
    }
  }
  // Open atlases follow the reload; a capture whose analysis went away loses its tab.
  for (auto it = m_atlasViews.begin(); it != m_atlasViews.end();) {
    const auto atlas = m_atlases.find(it->first);
    if (atlas == m_atlases.end()) {
      m_views->removeTab(m_views->indexOf(it->second));
      it->second->deleteLater();
      it = m_atlasViews.erase(it);
    } else {
      it->second->setAtlas(atlas->second, atlasOverlay());
      ++it;
    }
  }
}

std::vector<std::shared_ptr<const widgets::AtlasData>> MainWindow::atlasOverlay() const {
  std::vector<std::shared_ptr<const widgets::AtlasData>> overlay;
  for (const auto& [name, atlas] : m_atlases) overlay.push_back(atlas);
  return overlay;
}

widgets::AtlasView* MainWindow::openAtlas(const QString& capture) {
  const std::string name = capture.toStdString();
  const auto atlas = m_atlases.find(name);
  if (atlas == m_atlases.end()) return nullptr;
  widgets::AtlasView*& view = m_atlasViews[name];
  if (!view) {
    view = new widgets::AtlasView;
    view->setObjectName(QStringLiteral("atlas:") + capture);
    view->setAtlas(atlas->second, atlasOverlay());
    m_views->addTab(view, tr("Atlas · %1").arg(capture));
  }
  m_views->setCurrentWidget(view);
  return view;
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
  for (const auto& [name, view] : m_atlasViews) {
    m_views->removeTab(m_views->indexOf(view));
    view->deleteLater();
  }
  m_atlasViews.clear();
  if (m_results) {
    m_views->removeTab(m_views->indexOf(m_results));
    m_results->deleteLater();
    m_results = nullptr;
  }
  loadAtlases();
  m_recent.add(path);
  setWindowTitle(tr("%1 — KV Workbench").arg(QFileInfo(path).fileName()));
  statusBar()->showMessage(QFileInfo(path).absoluteFilePath());
  // A project with results opens on them; an opened atlas (the first capture's) stays in front.
  if (m_model.rowCount(m_model.groupIndex(widgets::ProjectModel::Runs)) > 0) openResults();
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

int MainWindow::startExtraction(const core::ExtractOptions& options) {
  if (!m_model.project()) {
    showError(tr("Extract"), tr("Open or create a project first (File menu)."));
    return -1;
  }
  return m_jobs.start(
      tr("Extract %1").arg(QString::fromStdString(options.textFile.filename().string())) +
          onDevice(options.device),
      [options, project = m_model.project()->path()](core::JobContext& ctx) {
        return core::extractCapture(options, project, ctx);
      },
      [this](const core::CaptureInfo& capture) {
        reloadProject();
        selectCapture(QString::fromStdString(capture.name));
        statusBar()->showMessage(tr("Extracted %1").arg(QString::fromStdString(capture.name)), 5000);
      });
}

int MainWindow::startFigureSetExport(const QString& dir, const QString& format) {
  if (!m_model.project()) return -1;
  const QStringList args = {QStringLiteral("--export-figures"), dir, QStringLiteral("--format"), format,
                            QString::fromStdString(m_model.project()->path().string())};
  return m_jobs.start(
      tr("Figure set → %1").arg(dir),
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
  if (id == m_analyzeJob) {
    m_analyzeJob = -1;
    updateActions();
  }
  if (id == m_sweepJob) {  // finished, failed or cancelled: every committed job is in the project
    m_sweepJob = -1;
    m_resultsRefresh.stop();
    reloadProject();
  }
}

void MainWindow::reloadProject() {
  try {
    m_model.reload();
  } catch (const std::exception& e) {
    showError(tr("Reload Project"), QString::fromStdString(e.what()));
  }
  loadAtlases();
  if (m_results && m_model.project()) m_results->setProject(*m_model.project());
  updateOverview();
  updateActions();
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
  if (const auto* run = m_model.runAt(current)) openResults(sweepRuns(run->id));
  openAtlas(currentCapture());
  updateActions();
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
  m_overview->setText(tr("%1\n\n%n capture(s), %2 run(s).\nSelect an analysed capture to open its "
                         "structure atlas; Analysis → Analyze Capture computes one.\nCompression "
                         "→ New Sweep compresses captures; select a run to see its results.",
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
