// JobRunner: QtConcurrent::run in promise mode (so a started task sees cancel()) on the CPU pool,
// the device lane or the waiting pool, one QFutureWatcher per job delivering progress and the end of the job on the
// GUI thread.
#include "widgets/job_runner.h"

#include <QFutureWatcher>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>
#include <cmath>
#include <exception>

namespace kvwb::widgets {
namespace {

constexpr int kProgressSteps = 1000;

// What the worker hands back: the GUI-thread step applying the result, or the error text.
struct Outcome {
  std::function<void()> apply;
  QString error;
};

// The core's JobContext over a QPromise: cancel() on the future is seen by the running work, and
// progress travels through the promise to the job's QFutureWatcher.
class PromiseContext final : public core::JobContext {
 public:
  explicit PromiseContext(QPromise<Outcome>& promise) : m_promise(promise) {}
  bool cancelled() const override { return m_promise.isCanceled(); }

 protected:
  void onProgress(double fraction, const std::string& what) override {
    m_promise.setProgressValueAndText(static_cast<int>(std::lround(fraction * kProgressSteps)),
                                      QString::fromStdString(what));
  }

 private:
  QPromise<Outcome>& m_promise;
};

}  // namespace

struct JobRunner::Job {
  JobStatus status;
  QFutureWatcher<Outcome> watcher;
};

double JobStatus::elapsedSeconds() const {
  if (!clock.isValid()) return 0.0;
  return static_cast<double>(endedMs >= 0 ? endedMs : clock.elapsed()) / 1000.0;
}

double JobStatus::etaSeconds() const {
  if (state != JobState::Running || firstReportMs < 0 || fraction <= firstFraction) return -1.0;
  const double seconds = static_cast<double>(clock.elapsed() - firstReportMs) / 1000.0;
  return seconds * (1.0 - fraction) / (fraction - firstFraction);
}

JobRunner::JobRunner(int cpuThreads, QObject* parent) : QObject(parent) {
  m_cpuPool.setMaxThreadCount(cpuThreads);
  m_deviceLane.setMaxThreadCount(1);
  m_waitingPool.setMaxThreadCount(kWaitingJobs);
}

JobRunner::~JobRunner() {
  for (auto& [id, job] : m_jobs) {
    job->watcher.disconnect(this);  // no result is applied to a half-destroyed owner
    job->watcher.cancel();
  }
  m_cpuPool.waitForDone();
  m_deviceLane.waitForDone();
  m_waitingPool.waitForDone();
}

int JobRunner::startErased(const QString& title, const std::string& device, Erased work) {
  const int id = m_nextId++;
  auto job = std::make_unique<Job>();
  job->status.title = title;
  job->status.device = device;
  job->status.clock.start();
  connect(&job->watcher, &QFutureWatcherBase::progressValueChanged, this, [this, id](int value) {
    Job& j = *m_jobs.at(id);
    const double fraction = static_cast<double>(value) / kProgressSteps;
    const QString what = j.watcher.progressText();
    if (fraction == j.status.fraction && what == j.status.what) return;  // e.g. setFuture's replay
    j.status.fraction = fraction;
    j.status.what = what;
    if (j.status.started && j.status.firstReportMs < 0) {
      j.status.firstReportMs = j.status.clock.elapsed();
      j.status.firstFraction = fraction;
    }
    Q_EMIT jobProgress(id);
  });
  connect(&job->watcher, &QFutureWatcherBase::finished, this, [this, id] {
    Job& j = *m_jobs.at(id);
    JobStatus& s = j.status;
    s.endedMs = s.clock.elapsed();
    const QFuture<Outcome> future = j.watcher.future();
    if (future.isCanceled() || future.resultCount() == 0) {
      s.state = JobState::Cancelled;
    } else if (Outcome out = future.result(); !out.error.isEmpty()) {
      s.state = JobState::Failed;
      s.error = out.error;
    } else {
      try {
        out.apply();
        s.state = JobState::Succeeded;
        s.fraction = 1.0;
      } catch (const std::exception& e) {
        s.state = JobState::Failed;
        s.error = QString::fromStdString(e.what());
      }
    }
    Q_EMIT jobFinished(id);
  });

  QThreadPool* pool = device == "cpu"           ? &m_cpuPool
                      : device == kWaitingLane ? &m_waitingPool
                                               : &m_deviceLane;
  job->watcher.setFuture(
      QtConcurrent::run(pool, [this, id, work = std::move(work)](QPromise<Outcome>& promise) {
        QMetaObject::invokeMethod(this, [this, id] { markStarted(id); }, Qt::QueuedConnection);
        promise.setProgressRange(0, kProgressSteps);
        PromiseContext ctx(promise);
        Outcome out;
        try {
          out.apply = work(ctx);
        } catch (const core::Cancelled&) {
          return;  // no result: the job ends as Cancelled
        } catch (const std::exception& e) {
          out.error = QString::fromStdString(e.what());
        } catch (...) {
          out.error = QStringLiteral("unknown error");
        }
        promise.addResult(std::move(out));
      }));
  m_jobs.emplace(id, std::move(job));
  Q_EMIT jobStarted(id);
  return id;
}

void JobRunner::markStarted(int id) {
  JobStatus& s = m_jobs.at(id)->status;
  if (s.state != JobState::Running) return;
  s.started = true;
  s.clock.restart();
  Q_EMIT jobProgress(id);
}

void JobRunner::cancel(int id) {
  Job& j = *m_jobs.at(id);
  if (j.status.state != JobState::Running || j.status.cancelRequested) return;
  j.watcher.cancel();
  j.status.cancelRequested = true;
  Q_EMIT jobProgress(id);
}

const JobStatus& JobRunner::status(int id) const { return m_jobs.at(id)->status; }

int JobRunner::runningCount() const {
  int n = 0;
  for (const auto& [id, job] : m_jobs) n += job->status.state == JobState::Running ? 1 : 0;
  return n;
}

}  // namespace kvwb::widgets
