// MainWindow's central tab area: opening and refreshing the Results, Compare, Damage, Keep map,
// Allocation and Atlas tabs, choosing the job whose damage or kept tokens to show or the sweep to
// allocate from, and closing a project's tabs (the rest of the window is main_window.cpp). GUI
// thread only.
#include <QInputDialog>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <algorithm>
#include <initializer_list>

#include "app/main_window.h"
#include "core/compress/method_descriptor.h"
#include "core/reports/counterpart.h"
#include "widgets/allocation_view.h"
#include "widgets/atlas_data.h"
#include "widgets/atlas_view.h"
#include "widgets/compare_data.h"
#include "widgets/compare_view.h"
#include "widgets/damage_data.h"
#include "widgets/damage_view.h"
#include "widgets/keep_map_data.h"
#include "widgets/keep_map_view.h"
#include "widgets/results_view.h"

namespace kvwb::app {
namespace {

// A job's tab (Damage, Keep map): made and added as `title` on first use, then showing job
// `jobKey` of `project`. A failure is shown by onJobFinished, as for every job; `view` nulls
// itself when the tab is closed.
template <typename View>
View* showJobTab(QPointer<View>& view, QTabWidget* tabs, widgets::JobRunner& jobs, const char* objectName,
                 const QString& title, const std::filesystem::path& project, const QString& jobKey) {
  if (!view) {
    view = new View(jobs);
    view->setObjectName(QString::fromLatin1(objectName));
    tabs->addTab(view, title);
  }
  view->showJob(project, jobKey.toStdString());
  tabs->setCurrentWidget(view);
  return view;
}

}  // namespace

widgets::ResultsView* MainWindow::openResults(const QStringList& runIds) {
  const auto& project = m_session.project();
  if (!project) return nullptr;
  QStringList ids = runIds;
  if (ids.isEmpty() && !m_session.model().runs().empty())
    ids = sweepRuns(m_session.model().runs().back().id);
  if (!m_results) {
    m_results = new widgets::ResultsView;
    m_results->setObjectName(QStringLiteral("results"));
    m_results->setProject(*project);
    connect(m_results, &widgets::ResultsView::fitSelected, this, &MainWindow::openCounterpart);
    m_views->addTab(m_results, tr("Results"));
  }
  m_results->showRuns(ids);
  m_views->setCurrentWidget(m_results);
  return m_results;
}

void MainWindow::openCounterpart(const QString& runId, int layer, int head, const QString& kind,
                                 const QString& paramsJson) {
  // The clicked fit's job is the one Analysis → Which Tokens Are Hurt… (and What Is Kept…)
  // offers first.
  const auto params = nlohmann::json::parse(paramsJson.toStdString(), nullptr, false);
  const std::string job = params.is_object() && params.contains("job") && params["job"].is_string()
                              ? params["job"].get<std::string>()
                              : std::string();
  if (!job.empty()) m_selectedJob = job;
  const auto& runs = m_session.model().runs();
  const auto run = std::find_if(runs.begin(), runs.end(), [&](const core::RunInfo& r) {
    return r.id == runId.toStdString();
  });
  if (layer < 0 || (kind != "K" && kind != "V")) {
    const bool evicts = run != runs.end() && std::any_of(core::methodDescriptors().begin(), core::methodDescriptors().end(),
                                                         [&](const core::MethodDescriptor* m) {
                                                           return m->name == run->method &&
                                                                  m->family == core::MethodFamily::Eviction;
                                                         });
    statusBar()->showMessage(
        job.empty() ? tr("Job aggregates have no single target to compare")
        : evicts    ? tr("Job %1: Analysis → What Is Kept… shows the tokens it keeps, Which Tokens Are "
                         "Hurt… those it hurts")
                          .arg(QString::fromStdString(job.substr(0, 8)))
                    : tr("Job %1: Analysis → Which Tokens Are Hurt… shows the tokens it hurts")
                          .arg(QString::fromStdString(job.substr(0, 8))),
        8000);
    return;
  }
  if (run == runs.end()) return;
  widgets::ComparePair pair;
  pair.project = m_session.project()->path();
  pair.capture = run->capture;
  pair.layer = layer;
  pair.head = head;
  pair.kind = kind.toStdString();
  pair.a = core::fitSpec(run->method, paramsJson.toStdString());
  pair.b = core::counterpartSpec(pair.a);
  openCompare(pair);
  if (!job.empty())
    statusBar()->showMessage(tr("Analysis → Which Tokens Are Hurt… now offers job %1 first")
                                 .arg(QString::fromStdString(job.substr(0, 8))),
                             8000);
}

widgets::CompareView* MainWindow::openCompare(const widgets::ComparePair& pair) {
  if (!m_compare) {
    m_compare = new widgets::CompareView(m_session.jobs());
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

widgets::DamageView* MainWindow::openDamage(const QString& jobKey) {
  const auto& project = m_session.project();
  if (!project) return nullptr;
  return showJobTab(m_damage, m_views, m_session.jobs(), "damage", tr("Damage"), project->path(), jobKey);
}

void MainWindow::askForJob(const QString& title, const QString& text, const QString& objectName,
                           const std::vector<widgets::DamageJobChoice>& choices,
                           const std::function<void(const QString&)>& open) {
  QStringList labels;
  int preselected = 0;
  for (const auto& c : choices) {
    if (!m_selectedJob.empty() && c.key == m_selectedJob)
      preselected = static_cast<int>(labels.size());
    labels << c.label;
  }
  auto* dialog = new QInputDialog(this);
  dialog->setObjectName(objectName);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setWindowTitle(title);
  dialog->setLabelText(text);
  dialog->setComboBoxItems(labels);
  dialog->setComboBoxEditable(false);
  dialog->setTextValue(labels[preselected]);
  connect(dialog, &QInputDialog::textValueSelected, this,
          [choices, labels, open](const QString& label) {
            const auto i = labels.indexOf(label);
            if (i >= 0) open(QString::fromStdString(choices[static_cast<std::size_t>(i)].key));
          });
  dialog->open();  // window-modal without a nested event loop
}

void MainWindow::chooseDamageJob() {
  const auto& project = m_session.project();
  if (!project) return;
  std::vector<widgets::DamageJobChoice> choices;
  try {
    choices = widgets::damageJobChoices(*project, m_session.model().runs());
  } catch (const std::exception& e) {
    showError(tr("Which Tokens Are Hurt"), QString::fromStdString(e.what()));
    return;
  }
  if (choices.empty()) {
    showError(tr("Which Tokens Are Hurt"),
              tr("%1 has no sweep jobs yet: run a sweep first (Compression → New Sweep…).")
                  .arg(QString::fromStdString(project->path().filename().string())));
    return;
  }
  askForJob(tr("Which Tokens Are Hurt"),
            tr("Measure the job's quality windows again, token by token (jobs whose "
               "sweep measured model quality first; a point clicked in the Results "
               "view preselects its job):"),
            QStringLiteral("damageJobDialog"), choices, [this](const QString& key) { openDamage(key); });
}

widgets::KeepMapView* MainWindow::openKeepMap(const QString& jobKey) {
  const auto& project = m_session.project();
  if (!project) return nullptr;
  return showJobTab(m_keepMap, m_views, m_session.jobs(), "keepMap", tr("Keep map"), project->path(), jobKey);
}

void MainWindow::chooseKeepMapJob() {
  const auto& project = m_session.project();
  if (!project) return;
  std::vector<widgets::DamageJobChoice> choices;
  try {
    choices = widgets::keepMapJobChoices(*project, m_session.model().runs());
  } catch (const std::exception& e) {
    showError(tr("What Is Kept"), QString::fromStdString(e.what()));
    return;
  }
  if (choices.empty()) {
    showError(tr("What Is Kept"),
              tr("%1 has no jobs of a token-eviction method (streaming, h2o, snapkv, …) yet: run "
                 "a sweep of one first (Compression → New Sweep…, e.g. the eviction preset).")
                  .arg(QString::fromStdString(project->path().filename().string())));
    return;
  }
  askForJob(tr("What Is Kept"),
            tr("Fit the eviction job again with its sweep's parameters and seed, and show which "
               "tokens each target keeps (a point clicked in the Results view preselects its "
               "job):"),
            QStringLiteral("keepMapJobDialog"), choices, [this](const QString& key) { openKeepMap(key); });
}

widgets::AllocationView* MainWindow::openAllocation(const QString& sweep) {
  const auto& project = m_session.project();
  if (!project) return nullptr;
  if (!m_allocation) {
    m_allocation = new widgets::AllocationView;
    m_allocation->setObjectName(QStringLiteral("allocation"));
    connect(m_allocation, &widgets::AllocationView::failed, this,
            [this](const QString& message) { showError(tr("Allocate a Byte Budget"), message); });
    connect(m_allocation, &widgets::AllocationView::runRequested, this,
            [this](const QString& spec) {  // a parse failure: startSweep names what is wrong
              startSweep(nlohmann::json::parse(spec.toStdString(), nullptr, false));
            });
    m_views->addTab(m_allocation, tr("Allocation"));
  }
  m_views->setCurrentWidget(m_allocation);
  return m_allocation->showRuns(project->path(), {sweep.toStdString()}) ? m_allocation : nullptr;
}

void MainWindow::chooseAllocationSweep() {
  const auto& project = m_session.project();
  if (!project) return;
  // The sweeps, the latest first: "<sweep>" of each run id "<sweep>.<capture>.<method>".
  std::vector<widgets::DamageJobChoice> choices;
  const auto& runs = m_session.model().runs();
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    const std::string sweep = run->id.substr(0, run->id.find('.'));
    if (std::none_of(choices.begin(), choices.end(), [&](const auto& c) { return c.key == sweep; }))
      choices.push_back({sweep, run->id, run->method,
                         tr("%1 (%2 runs)").arg(QString::fromStdString(sweep)).arg(sweepRuns(run->id).size())});
  }
  if (choices.empty()) {
    showError(tr("Allocate a Byte Budget"),
              tr("%1 has no sweep runs yet: run a sweep first (Compression → New Sweep…).")
                  .arg(QString::fromStdString(project->path().filename().string())));
    return;
  }
  askForJob(tr("Allocate a Byte Budget"),
            tr("Choose a method per layer, head, K and V from the results of a sweep (it needs a "
               "per-target metric such as attention KL):"),
            QStringLiteral("allocationSweepDialog"), choices,
            [this](const QString& sweep) { openAllocation(sweep); });
}

void MainWindow::compareSelectedTarget() {
  const QString capture = currentCapture();
  if (capture.isEmpty() || !m_session.project()) return;
  widgets::AtlasTarget target;
  if (const auto it = m_atlasViews.find(capture.toStdString()); it != m_atlasViews.end())
    target = it->second->target();
  const std::string kind = target.kind == 1 ? "V" : "K";  // pre-RoPE keys compare as keys
  openCompare(widgets::sirenVsSvd(m_session.project()->path(), capture.toStdString(), target.layer,
                                  target.head, kind, "tiny", 300));
}

void MainWindow::refreshAtlasTabs() {
  for (auto it = m_atlasViews.begin(); it != m_atlasViews.end();) {
    if (auto atlas = m_session.atlas(it->first)) {
      it->second->setAtlas(std::move(atlas), m_session.atlases());
      ++it;
    } else {
      m_views->removeTab(m_views->indexOf(it->second));
      it->second->deleteLater();
      it = m_atlasViews.erase(it);
    }
  }
}

void MainWindow::closeProjectTabs() {
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
  if (m_damage) {  // its job belongs to the previous project
    m_views->removeTab(m_views->indexOf(m_damage));
    m_damage->deleteLater();
    m_damage = nullptr;
  }
  for (QWidget* view : std::initializer_list<QWidget*>{m_keepMap, m_allocation}) {  // likewise
    if (!view) continue;
    m_views->removeTab(m_views->indexOf(view));
    view->deleteLater();
  }
  m_keepMap = nullptr;
  m_allocation = nullptr;
  m_selectedJob.clear();
}

widgets::AtlasView* MainWindow::openAtlas(const QString& capture) {
  const std::string name = capture.toStdString();
  auto atlas = m_session.atlas(name);
  if (!atlas) return nullptr;
  // A new atlas opens on the metric the user last looked at (the atlas in front, else any).
  auto* shown = qobject_cast<widgets::AtlasView*>(m_views->currentWidget());
  if (!shown && !m_atlasViews.empty()) shown = m_atlasViews.begin()->second;
  widgets::AtlasView*& view = m_atlasViews[name];
  if (!view) {
    view = new widgets::AtlasView;
    view->setObjectName(QStringLiteral("atlas:") + capture);
    if (shown) view->setMetric(shown->metric());
    view->setAtlas(std::move(atlas), m_session.atlases());
    m_views->addTab(view, tr("Atlas · %1").arg(capture));
  }
  m_views->setCurrentWidget(view);
  return view;
}


}  // namespace kvwb::app
