// Runs core work (functions taking a core::JobContext) as cancellable background jobs. A job names
// the device it computes on: CPU jobs share a pool, GPU jobs queue on one device lane (a
// one-thread pool) so they never overlap on the accelerator.
// Thread rule: create and call JobRunner on the GUI thread; the work runs on the runner's pools and
// must only touch its own copies; every signal and every `apply` arrives on the GUI thread.
//
//   runner.start(tr("Import"), "cpu",
//                [=](core::JobContext& ctx) { return core::importCapture(d, p, o, ctx); },
//                [this](const core::CaptureInfo& c) { showCapture(c); });
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

#include "core/base/job_context.h"

namespace kvwb::widgets {

enum class JobState { Running, Succeeded, Cancelled, Failed };

// What the GUI shows of one job.
struct JobStatus {
  QString title;
  std::string device;  // where the work computes: "cpu", "cuda:0", ...
  JobState state = JobState::Running;
  bool started = false;  // the work began (a queued job waits for its pool or lane)
  bool cancelRequested = false;
  double fraction = 0.0;
  QString what;   // the core's last progress text
  QString error;  // set when Failed: the exception's message (names the file for input errors)
  QElapsedTimer clock;  // since the job was queued, restarted when it starts
  qint64 endedMs = -1;  // clock's reading when the job ended (elapsed time stops), -1 while running
  // The first progress report after the start: the measured rate is taken from there on, so
  // loading before the first fit does not skew it.
  qint64 firstReportMs = -1;
  double firstFraction = 0.0;
  // Seconds since the job started (or was queued, while it waits), frozen when it ends.
  double elapsedSeconds() const;
  // Seconds left at the rate measured since the first report, or -1 while unknown or ended.
  double etaSeconds() const;
};

class JobRunner : public QObject {
  Q_OBJECT

 public:
  // `cpuThreads`: how many CPU jobs run at once (the device lane always runs one).
  explicit JobRunner(int cpuThreads, QObject* parent = nullptr);
  static constexpr const char* kWaitingLane = "waiting";
  static constexpr int kWaitingJobs = 8;  // at once on the waiting pool
  ~JobRunner() override;  // cancels every running job and waits for it

  // Starts `work(ctx)`: on the CPU pool when `device` is "cpu" (as gpu::resolveDevice names it),
  // on a pool of its own for kWaitingLane (jobs that wait on other machines, such as a cluster's
  // tasks, and hold no CPU slot), else queued on the device lane behind the GPU jobs started
  // before it. Exceptions thrown by
  // `work` end the job: core::Cancelled as Cancelled, anything else as Failed with its message. On
  // success, `apply(result)` runs on the GUI thread before jobFinished. Returns the job id.
  template <typename Work, typename Apply>
  int start(const QString& title, const std::string& device, Work work, Apply apply);
  template <typename Work>
  int start(const QString& title, const std::string& device, Work work) {
    return start(title, device, std::move(work), [](auto&&...) {});
  }

  void cancel(int id);  // no-op for finished jobs; the job ends as soon as the work sees it
  const JobStatus& status(int id) const;
  int runningCount() const;

 Q_SIGNALS:
  void jobStarted(int id);
  void jobProgress(int id);  // status(id) changed: started, fraction, what, cancelRequested
  void jobFinished(int id);  // status(id).state is final

 private:
  // The type-erased job: runs on the pool, returns the GUI-thread step that applies its result.
  using Erased = std::function<std::function<void()>(core::JobContext&)>;
  int startErased(const QString& title, const std::string& device, Erased work);
  void markStarted(int id);  // the work began on its pool or lane

  struct Job;
  QThreadPool m_cpuPool;
  QThreadPool m_deviceLane;  // one thread: GPU jobs run one after another
  QThreadPool m_waitingPool;
  std::map<int, std::unique_ptr<Job>> m_jobs;
  int m_nextId = 1;
};

template <typename Work, typename Apply>
int JobRunner::start(const QString& title, const std::string& device, Work work, Apply apply) {
  return startErased(
      title, device,
      [work = std::move(work),
       apply = std::move(apply)](core::JobContext& ctx) -> std::function<void()> {
        if constexpr (std::is_void_v<std::invoke_result_t<Work&, core::JobContext&>>) {
          work(ctx);
          return [apply] { apply(); };
        } else {
          return [apply, result = work(ctx)] { apply(result); };
        }
      });
}

}  // namespace kvwb::widgets
