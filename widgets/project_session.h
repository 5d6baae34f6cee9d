// The GUI's open project and what hangs off it: the project listing (a ProjectModel), the
// structure atlases loaded per capture and the job runner. The jobs that change the project
// (import, extraction, analysis, sweep) start here; when one ends, the session re-reads the
// project and emits what changed, and the views follow those signals.
// GUI thread only; the jobs' work runs on the runner's pools from copies of their inputs.
//
//   widgets::ProjectSession session;
//   session.open("demo.kvw");  // throws core::InputError
//   connect(&session, &ProjectSession::runsChanged, view, [&] { view->setProject(...); });
//   session.importDumps({"cache.safetensors"}, [](const core::CaptureInfo& c) { select(c); });
#pragma once

#include <QObject>
#include <QStringList>
#include <QTimer>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/capture/capture_extract.h"
#include "core/sweep/slurm.h"
#include "core/sweep/sweep.h"
#include "widgets/job_runner.h"
#include "widgets/project_model.h"

namespace kvwb::widgets {

class AtlasData;

class ProjectSession : public QObject {
  Q_OBJECT

 public:
  explicit ProjectSession(QObject* parent = nullptr);

  // Opens `path` in place of the open project and loads its atlases; emits projectOpened. Throws
  // core::InputError naming the file when it cannot be read (the session is then unchanged).
  void open(const std::filesystem::path& path);
  // Re-reads the open project (after a job or another process's edit) and emits what changed; a
  // failure is reported through `failed`.
  void reload();

  const std::optional<core::Project>& project() const { return m_model.project(); }
  ProjectModel& model() { return m_model; }
  const ProjectModel& model() const { return m_model; }
  JobRunner& jobs() { return m_jobs; }

  // The structure atlas of `capture` when it has a current stored analysis, else null.
  std::shared_ptr<const AtlasData> atlas(const std::string& capture) const;
  std::vector<std::shared_ptr<const AtlasData>> atlases() const;  // every loaded one, by name

  // Jobs on the open project; each returns its id, or -1 without a project. On success the
  // session re-reads the project (emitting what changed), then calls `then` (may be empty) on
  // the GUI thread.
  using CaptureDone = std::function<void(const core::CaptureInfo&)>;
  int importDumps(const std::vector<std::filesystem::path>& dumps, CaptureDone then);  // CPU
  int extract(const core::ExtractOptions& options, CaptureDone then);  // on options.device
  // Analyzes `captures` one after another in one job and stores each analysis; -1 also while
  // another analysis runs.
  int analyze(const std::vector<std::string>& captures, std::function<void()> then);
  // Runs `spec` (already parsed); -1 also while another sweep runs. While it runs the session
  // re-reads the project every kSweepRefreshMs, so runsChanged follows the committed jobs.
  int sweep(const core::SweepSpec& spec, std::function<void(const core::SweepSummary&)> then);
  // Writes the Slurm scripts of `spec` beside the project (core/sweep/slurm.h); with `submit`,
  // submits them and follows the array's tasks (progress: the share of its jobs committed) until
  // the merge job has ended, then re-reads the project. `then` gets what happened, in a sentence.
  // Cancelling stops following; the Slurm jobs keep running.
  int clusterSweep(const core::SweepSpec& spec, const core::SlurmOptions& options, bool submit,
                   std::function<void(const QString&)> then);
  // Merges sweep shard files into the project (core::mergeShards), then re-reads it.
  int mergeShards(const std::vector<std::filesystem::path>& shards,
                  std::function<void(const core::MergeReport&)> then);
  bool analyzing() const { return m_analyzeJob >= 0; }
  bool sweeping() const { return m_sweepJob >= 0; }

  static constexpr int kSweepRefreshMs = 1500;
  static constexpr int kClusterPollMs = 5000;  // how often a cluster sweep's tasks are checked

 Q_SIGNALS:
  void projectOpened();    // another project is open: views start over
  void capturesChanged();  // captures were added, replaced or deleted
  void runsChanged();      // runs were added, or their status or results changed
  // The stored analyses of `captures` appeared, changed or went away: atlas(capture) differs.
  void analysesChanged(const QStringList& captures);
  void busyChanged();  // analyzing() or sweeping() changed
  void failed(const QString& title, const QString& message);  // re-reads, atlas loads

 private:
  // Emits the signals for `changes`, reloading the atlases whose stored analysis changed.
  void apply(const ProjectModel::Changes& changes);
  QStringList loadAtlases();  // the captures whose atlas changed
  CaptureDone reloadThen(CaptureDone then);  // a job's GUI-thread step: reload, then `then`
  void onJobFinished(int id);

  ProjectModel m_model;
  JobRunner m_jobs;
  std::map<std::string, std::shared_ptr<const AtlasData>> m_atlases;  // by capture
  std::map<std::string, std::string> m_analysisStamps;  // by capture: what the atlas was read from
  int m_analyzeJob = -1;  // the running analysis job, or -1
  int m_sweepJob = -1;    // the running sweep job, or -1
  QTimer m_sweepRefresh;
};

}  // namespace kvwb::widgets
