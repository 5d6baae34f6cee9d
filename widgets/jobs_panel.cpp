// JobsPanel: rows built from JobRunner's signals; the bar is the job's fraction, the detail line
// its own text, elapsed time and ETA (JobStatus), refreshed each second while jobs run.
#include "widgets/jobs_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "widgets/job_runner.h"

namespace kvwb::widgets {
namespace {

constexpr int kBarSteps = 1000;

QString formatSeconds(double s) {
  const int total = static_cast<int>(s + 0.5);
  if (total < 60) return JobsPanel::tr("%1 s").arg(total);
  if (total < 3600) return JobsPanel::tr("%1 min %2 s").arg(total / 60).arg(total % 60);
  return JobsPanel::tr("%1 h %2 min").arg(total / 3600).arg(total % 3600 / 60);
}

QString percent(const JobStatus& s) {
  return JobsPanel::tr("%1 %").arg(static_cast<int>(std::floor(s.fraction * 100)));
}

// What the job's detail line says: while it runs, what it is doing (for a sweep, the running job
// of the sweep), how far it is, how long it has run and the ETA; once it ended, how it ended and
// the time it took.
QString describe(const JobStatus& s) {
  const QString elapsed = formatSeconds(s.elapsedSeconds());
  switch (s.state) {
    case JobState::Running: {
      if (s.cancelRequested) return JobsPanel::tr("cancelling at %1…").arg(percent(s));
      if (!s.started)
        return s.device == "cpu"
                   ? JobsPanel::tr("queued")
                   : JobsPanel::tr("waiting for %1").arg(QString::fromStdString(s.device));
      const double eta = s.etaSeconds();
      const QString what = s.what.isEmpty() ? JobsPanel::tr("starting…") : s.what;
      const QString times = eta < 0 ? JobsPanel::tr("%1 elapsed").arg(elapsed)
                                    : JobsPanel::tr("%1 elapsed · ETA %2")
                                          .arg(elapsed, formatSeconds(eta));
      return JobsPanel::tr("%1 · %2 · %3").arg(what, percent(s), times);
    }
    case JobState::Succeeded:
      return JobsPanel::tr("done in %1").arg(elapsed);
    case JobState::Cancelled:
      return JobsPanel::tr("cancelled at %1 after %2").arg(percent(s), elapsed);
    case JobState::Failed:
      return JobsPanel::tr("failed after %1: %2").arg(elapsed, s.error);
  }
  return {};
}

}  // namespace

JobsPanel::JobsPanel(JobRunner& runner, QWidget* parent) : QWidget(parent), m_runner(runner) {
  auto* content = new QWidget;
  m_list = new QVBoxLayout(content);
  m_list->setContentsMargins(4, 2, 4, 2);
  m_empty = new QLabel(tr("No jobs. Drop a dump file on the window to import it."));
  m_empty->setWordWrap(true);
  m_empty->setEnabled(false);
  m_list->addWidget(m_empty);
  m_list->addStretch();

  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setWidget(content);

  m_clear = new QPushButton(tr("Clear finished"));
  m_clear->setEnabled(false);
  connect(m_clear, &QPushButton::clicked, this, &JobsPanel::clearFinished);
  auto* buttons = new QHBoxLayout;
  buttons->addStretch();
  buttons->addWidget(m_clear);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(scroll);
  layout->addLayout(buttons);

  connect(&m_runner, &JobRunner::jobStarted, this, &JobsPanel::addRow);
  connect(&m_runner, &JobRunner::jobProgress, this, &JobsPanel::updateRow);
  connect(&m_runner, &JobRunner::jobFinished, this, &JobsPanel::updateRow);
  m_etaTimer.setInterval(1000);
  connect(&m_etaTimer, &QTimer::timeout, this, [this] {
    for (const auto& [id, row] : m_rows) updateRow(id);
  });
}

void JobsPanel::addRow(int id) {
  Row row;
  row.frame = new QFrame;
  row.frame->setFrameShape(QFrame::StyledPanel);
  row.title = new QLabel(m_runner.status(id).title);
  QFont bold = row.title->font();
  bold.setBold(true);
  row.title->setFont(bold);
  row.bar = new QProgressBar;
  row.bar->setRange(0, kBarSteps);
  row.bar->setValue(0);
  row.bar->setTextVisible(false);
  row.bar->setMaximumHeight(row.bar->fontMetrics().height() / 2);  // a slim bar: the status line fits
  row.bar->setObjectName(QStringLiteral("jobProgress"));
  row.detail = new QLabel;
  row.detail->setObjectName(QStringLiteral("jobDetail"));
  row.detail->setWordWrap(true);
  row.detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
  row.cancel = new QToolButton;
  row.cancel->setText(tr("Cancel"));
  row.cancel->setObjectName(QStringLiteral("cancelJob"));
  connect(row.cancel, &QToolButton::clicked, this, [this, id] { m_runner.cancel(id); });

  auto* top = new QHBoxLayout;
  top->addWidget(row.title, 1);
  top->addWidget(row.cancel);
  auto* box = new QVBoxLayout(row.frame);
  box->setContentsMargins(6, 3, 6, 3);
  box->setSpacing(2);
  box->addLayout(top);
  box->addWidget(row.bar);
  box->addWidget(row.detail);

  m_list->insertWidget(1, row.frame);  // newest first, under the (hidden) empty note
  m_empty->hide();
  m_rows.emplace(id, row);
  m_etaTimer.start();
  updateRow(id);
}

void JobsPanel::updateRow(int id) {
  const auto it = m_rows.find(id);
  if (it == m_rows.end()) return;
  const Row& row = it->second;
  const JobStatus& s = m_runner.status(id);
  row.bar->setValue(static_cast<int>(std::lround(s.fraction * kBarSteps)));
  row.detail->setText(describe(s));
  row.detail->setStyleSheet(s.state == JobState::Failed ? QStringLiteral("color: #b00020;")
                                                        : QString());
  const bool running = s.state == JobState::Running;
  row.cancel->setVisible(running);
  row.cancel->setEnabled(running && !s.cancelRequested);
  if (!running) m_clear->setEnabled(true);
  if (m_runner.runningCount() == 0) m_etaTimer.stop();
}

void JobsPanel::clearFinished() {
  for (auto it = m_rows.begin(); it != m_rows.end();) {
    if (m_runner.status(it->first).state == JobState::Running) {
      ++it;
      continue;
    }
    delete it->second.frame;
    it = m_rows.erase(it);
  }
  m_clear->setEnabled(false);
  m_empty->setVisible(m_rows.empty());
}

}  // namespace kvwb::widgets
