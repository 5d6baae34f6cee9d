// The one background job a view runs at a time (the Damage and Keep map views): it resolves the
// device, replaces a job still in flight, shows progress, cancellation and failure in the view's
// status label, and hands the result back only while it is the latest job and the view lives.
// GUI thread only.
//
//   m_job = new ViewJob(jobs, m_status, tr("measuring"), this);
//   m_job->start(tr("Which tokens are hurt"), tr("measuring"), key,
//                [=](const std::string& device) { return [=](core::JobContext& ctx) { ... }; },
//                [this](const core::JobDamage& d) { setDamage(d); });
#pragma once

#include <QLabel>
#include <QObject>
#include <QPointer>
#include <QString>
#include <exception>
#include <string>

#include "gpu/device.h"
#include "widgets/job_runner.h"

namespace kvwb::widgets {

class ViewJob : public QObject {
  Q_OBJECT

 public:
  // `progressVerb` reads "measuring… 40 %" in `status` while the job runs.
  ViewJob(JobRunner& jobs, QLabel* status, QString progressVerb, QObject* parent);
  ~ViewJob() override;  // cancels the job in flight

  void setDevice(const std::string& device) { m_device = device; }  // "auto" by default
  bool busy() const;

  // Runs makeWork(device) (a callable taking core::JobContext&) as "<what>: job KEY on DEVICE",
  // cancelling the job in flight, then show(result) unless a newer job replaced it. Returns the
  // job id, or -1 (and emits failed) when the device cannot be resolved.
  template <typename MakeWork, typename Show>
  int start(const QString& what, const QString& verb, const std::string& jobKey, MakeWork makeWork,
            Show show) {
    if (m_job >= 0) m_jobs.cancel(m_job);
    std::string device;
    try {
      device = gpu::resolveDevice(m_device);
    } catch (const std::exception& e) {
      m_status->setText(tr("failed: %1").arg(QString::fromStdString(e.what())));
      Q_EMIT failed(QString::fromStdString(e.what()));
      return -1;
    }
    const QString key = QString::fromStdString(jobKey.substr(0, 8)), on = QString::fromStdString(device);
    m_status->setText(tr("%1 job %2 on %3…").arg(verb, key, on));
    const int generation = ++m_generation;
    m_job = m_jobs.start(tr("%1: job %2 on %3").arg(what, key, on), device, makeWork(device),
                         [self = QPointer<ViewJob>(this), generation, show](const auto& result) {
                           if (!self || self->m_generation != generation) return;  // replaced
                           self->m_job = -1;
                           self->m_status->clear();
                           show(result);
                         });
    return m_job;
  }

 Q_SIGNALS:
  void failed(const QString& message);

 private:
  void onFinished(int id);

  JobRunner& m_jobs;
  QLabel* m_status;
  QString m_progressVerb;
  std::string m_device = "auto";
  int m_job = -1;
  int m_generation = 0;
};

}  // namespace kvwb::widgets
