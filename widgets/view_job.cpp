// A view's background job (see view_job.h).
#include "widgets/view_job.h"

namespace kvwb::widgets {

ViewJob::ViewJob(JobRunner& jobs, QLabel* status, QString progressVerb, QObject* parent)
    : QObject(parent), m_jobs(jobs), m_status(status), m_progressVerb(std::move(progressVerb)) {
  connect(&m_jobs, &JobRunner::jobFinished, this, &ViewJob::onFinished);
  connect(&m_jobs, &JobRunner::jobProgress, this, [this](int id) {
    if (id != m_job) return;
    m_status->setText(tr("%1… %2 %").arg(m_progressVerb).arg(static_cast<int>(100 * m_jobs.status(id).fraction)));
  });
}

ViewJob::~ViewJob() {
  if (m_job >= 0) m_jobs.cancel(m_job);
}

bool ViewJob::busy() const { return m_job >= 0 && m_jobs.status(m_job).state == JobState::Running; }

void ViewJob::onFinished(int id) {
  if (id != m_job) return;
  m_job = -1;
  const JobStatus& status = m_jobs.status(id);
  if (status.state == JobState::Cancelled) m_status->setText(tr("cancelled"));
  if (status.state != JobState::Failed) return;
  m_status->setText(tr("failed"));
  Q_EMIT failed(status.error);
}

}  // namespace kvwb::widgets
