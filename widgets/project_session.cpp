// ProjectSession: one re-read of the project per finished job (ProjectModel says what changed),
// atlases re-loaded only for captures whose stored analysis changed, jobs on the runner's CPU pool
// or device lane by the device they compute on.
#include "widgets/project_session.h"

#include <QThread>
#include <chrono>

#include "core/analysis/capture_analysis.h"
#include "core/capture/capture_import.h"
#include "gpu/device.h"
#include "widgets/atlas_data.h"

namespace kvwb::widgets {
namespace {

// Where a job asked to run on `requested` ("auto", "cpu", "cuda:1") computes; the request itself
// when it is not valid (the job then fails naming it).
std::string computeDevice(const std::string& requested) {
  try {
    return gpu::resolveDevice(requested);
  } catch (const std::exception&) {
    return requested;
  }
}

// "Import fiction" / "Import fiction and 2 more".
QString titleFor(const QString& verb, const QString& first, qsizetype count) {
  return count == 1 ? QStringLiteral("%1 %2").arg(verb, first)
                    : ProjectSession::tr("%1 %2 and %3 more").arg(verb, first).arg(count - 1);
}

QString onDevice(const std::string& device) {
  return ProjectSession::tr(" on %1").arg(QString::fromStdString(device));
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

ProjectSession::ProjectSession(QObject* parent)
    : QObject(parent), m_jobs(QThread::idealThreadCount()) {
  connect(&m_jobs, &JobRunner::jobFinished, this, &ProjectSession::onJobFinished);
  m_sweepRefresh.setInterval(kSweepRefreshMs);
  connect(&m_sweepRefresh, &QTimer::timeout, this, &ProjectSession::reload);
}

void ProjectSession::open(const std::filesystem::path& path) {
  m_model.setProject(core::Project::open(path));
  m_atlases.clear();
  m_analysisStamps.clear();
  loadAtlases();
  Q_EMIT projectOpened();
}

void ProjectSession::reload() {
  try {
    apply(m_model.reload());
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Reload Project"), QString::fromStdString(e.what()));
  }
}

void ProjectSession::apply(const ProjectModel::Changes& changes) {
  if (changes.captures) Q_EMIT capturesChanged();
  if (changes.runs) Q_EMIT runsChanged();
  if (const QStringList changed = loadAtlases(); !changed.isEmpty())
    Q_EMIT analysesChanged(changed);
}

QStringList ProjectSession::loadAtlases() {
  QStringList changed;
  std::map<std::string, std::string> stamps;
  if (const auto& project = m_model.project()) {
    for (const auto& capture : project->captures()) {
      try {
        // The stored attributes (they differ between any two analyses) and the capture itself.
        std::string stamp =
            project->arrayGroupAttrs(core::analysisGroup(capture.name)) + "|" + core::captureFingerprint(capture);
        const auto old = m_analysisStamps.find(capture.name);
        const bool same = old != m_analysisStamps.end() && old->second == stamp;
        stamps.emplace(capture.name, std::move(stamp));
        if (same) continue;
        auto analysis = core::loadAnalysis(*project, capture.name);
        const bool had = m_atlases.erase(capture.name) > 0;
        if (analysis)
          m_atlases.emplace(capture.name,
                            std::make_shared<const AtlasData>(
                                std::make_shared<const core::CaptureAnalysis>(std::move(*analysis)),
                                AtlasData::displayLabel(capture)));
        if (had || analysis) changed << QString::fromStdString(capture.name);
      } catch (const std::exception& e) {
        if (m_atlases.erase(capture.name) > 0) changed << QString::fromStdString(capture.name);
        Q_EMIT failed(tr("Load Analysis"), QString::fromStdString(e.what()));
      }
    }
  }
  for (auto it = m_atlases.begin(); it != m_atlases.end();) {  // captures that went away
    if (stamps.contains(it->first)) {
      ++it;
    } else {
      changed << QString::fromStdString(it->first);
      it = m_atlases.erase(it);
    }
  }
  m_analysisStamps = std::move(stamps);
  return changed;
}

std::shared_ptr<const AtlasData> ProjectSession::atlas(const std::string& capture) const {
  const auto it = m_atlases.find(capture);
  return it == m_atlases.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const AtlasData>> ProjectSession::atlases() const {
  std::vector<std::shared_ptr<const AtlasData>> all;
  for (const auto& [name, atlas] : m_atlases) all.push_back(atlas);
  return all;
}

ProjectSession::CaptureDone ProjectSession::reloadThen(CaptureDone then) {
  return [this, then = std::move(then)](const core::CaptureInfo& capture) {
    reload();
    if (then) then(capture);
  };
}

int ProjectSession::importDumps(const std::vector<std::filesystem::path>& dumps, CaptureDone then) {
  if (!project() || dumps.empty()) return -1;
  return m_jobs.start(
      titleFor(tr("Import"), QString::fromStdString(dumps.front().filename().string()),
               static_cast<qsizetype>(dumps.size())),
      "cpu",
      [dumps, path = project()->path()](core::JobContext& ctx) {
        return core::importCapture(dumps, path, core::ImportOptions{}, ctx);
      },
      reloadThen(std::move(then)));
}

int ProjectSession::extract(const core::ExtractOptions& options, CaptureDone then) {
  if (!project()) return -1;
  const std::string device = computeDevice(options.device);
  return m_jobs.start(
      tr("Extract %1").arg(QString::fromStdString(options.textFile.filename().string())) +
          onDevice(device),
      device,
      [options, path = project()->path()](core::JobContext& ctx) {
        return core::extractCapture(options, path, ctx);
      },
      reloadThen(std::move(then)));
}

int ProjectSession::analyze(const std::vector<std::string>& captures, std::function<void()> then) {
  if (!project() || captures.empty() || analyzing()) return -1;
  core::AnalysisOptions options;
  options.device = computeDevice(options.device);
  m_analyzeJob = m_jobs.start(
      titleFor(tr("Analyze"), QString::fromStdString(captures.front()),
               static_cast<qsizetype>(captures.size())) +
          onDevice(options.device),
      options.device,
      [captures, options, project = *project()](core::JobContext& ctx) {
        for (std::size_t i = 0; i < captures.size(); ++i) {
          CaptureStepContext step(ctx, i, captures.size(), captures[i]);
          core::saveAnalysis(project.path(),
                             core::analyzeCapture(project, captures[i], options, step));
        }
      },
      [this, then = std::move(then)] {
        reload();
        if (then) then();
      });
  Q_EMIT busyChanged();
  return m_analyzeJob;
}

int ProjectSession::sweep(const core::SweepSpec& spec,
                          std::function<void(const core::SweepSummary&)> then) {
  if (!project() || sweeping()) return -1;
  const std::string device = computeDevice(spec.device);
  m_sweepJob = m_jobs.start(
      tr("Sweep %1").arg(QString::fromStdString(spec.name)) + onDevice(device), device,
      [spec, path = project()->path()](core::JobContext& ctx) {
        return core::runSweep(path, spec, ctx);
      },
      [then = std::move(then)](const core::SweepSummary& summary) {
        if (then) then(summary);  // the re-read follows in onJobFinished, whatever the end
      });
  m_sweepRefresh.start();
  Q_EMIT busyChanged();
  return m_sweepJob;
}

int ProjectSession::clusterSweep(const core::SweepSpec& spec, const core::SlurmOptions& options,
                                 bool submit, std::function<void(const QString&)> then) {
  if (!project()) return -1;
  return m_jobs.start(
      tr("Sweep %1 on the cluster").arg(QString::fromStdString(spec.name)), JobRunner::kWaitingLane,
      [spec, options, submit, path = project()->path()](core::JobContext& ctx) -> std::string {
        const core::SlurmScripts scripts = core::writeSlurmScripts(path, spec, options);
        if (!submit)
          return "Wrote " + scripts.array.string() + " (" + std::to_string(scripts.tasks) +
                 " tasks) and " + scripts.merge.string() + ". Submit: jid=$(sbatch --parsable " +
                 scripts.array.string() + ") && sbatch --dependency=afterany:${jid%%;*} " +
                 scripts.merge.string();
        const core::SlurmSubmission ids = core::submitSlurm(scripts);
        ctx.report(0, "submitted array job " + ids.arrayJob + " (cancel here stops following; "
                      "scancel " + ids.arrayJob + " " + ids.mergeJob + " stops the tasks)");
        const auto status = core::followClusterSweep(
            path, spec.name, ctx, std::chrono::milliseconds(kClusterPollMs));
        const auto& p = status.progress;
        return "Array job " + ids.arrayJob + " ended: " + core::taskStatesText(status) + "; " +
               std::to_string(p.planned - static_cast<int>(p.missing.size())) + " of " +
               std::to_string(p.planned) + " jobs committed" +
               (p.missing.empty() ? "." : " (rerun the failed tasks, then File → Merge Shards…).");
      },
      [this, then = std::move(then)](const std::string& message) {
        reload();  // the merge job has written the project
        if (then) then(QString::fromStdString(message));
      });
}

int ProjectSession::mergeShards(const std::vector<std::filesystem::path>& shards,
                                std::function<void(const core::MergeReport&)> then) {
  if (!project()) return -1;
  return m_jobs.start(
      tr("Merge %n shard(s)", nullptr, static_cast<int>(shards.size())), "cpu",
      [shards, path = project()->path()](core::JobContext& ctx) {
        return core::mergeShards(path, shards, ctx);
      },
      [this, then = std::move(then)](const core::MergeReport& report) {
        reload();
        if (then) then(report);
      });
}

void ProjectSession::onJobFinished(int id) {
  const JobState state = m_jobs.status(id).state;
  if (id == m_analyzeJob) {
    m_analyzeJob = -1;
    Q_EMIT busyChanged();
  }
  if (id == m_sweepJob) {  // finished, failed or cancelled: every committed job is in the project
    m_sweepJob = -1;
    m_sweepRefresh.stop();
    reload();
    Q_EMIT busyChanged();
  } else if (state == JobState::Cancelled) {
    reload();  // a cancel that arrived after an import committed leaves a new capture
  }
}

}  // namespace kvwb::widgets
