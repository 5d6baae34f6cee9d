// CompareView: computeCompare as a JobRunner job on the fits' device; a failure (its message)
// arrives through the runner, never as an exception crossing into Qt.
#include "widgets/compare_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QPointer>
#include <QVBoxLayout>

#include "gpu/device.h"
#include "widgets/job_runner.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"

namespace kvwb::widgets {

CompareView::CompareView(JobRunner& jobs, QWidget* parent)
    : QWidget(parent),
      m_jobs(jobs),
      m_title(new QLabel(tr("No comparison yet"), this)),
      m_bytesNote(new QLabel(this)),
      m_status(new QLabel(this)),
      m_dim(new QSpinBox(this)),
      m_dimension(new LinePlot(this)),
      m_errors(new HeatmapPlot(this)),
      m_metrics(new QTableWidget(this)) {
  m_title->setObjectName(QStringLiteral("title"));
  m_dimension->setObjectName(QStringLiteral("dimension"));
  m_errors->setObjectName(QStringLiteral("errors"));
  m_metrics->setObjectName(QStringLiteral("metrics"));
  QFont bold = m_title->font();
  bold.setBold(true);
  m_title->setFont(bold);
  m_bytesNote->setObjectName(QStringLiteral("bytesNote"));
  m_bytesNote->setStyleSheet(QStringLiteral("color: #b35900; font-weight: bold"));
  m_bytesNote->setToolTip(tr("Two fits are at equal bytes when |b1 − b2| / max(b1, b2) ≤ 10%"));
  m_bytesNote->setWordWrap(true);
  m_bytesNote->hide();
  m_status->setStyleSheet(QStringLiteral("color: #555"));
  m_dim->setEnabled(false);
  m_dim->setPrefix(tr("dimension "));
  connect(m_dim, &QSpinBox::valueChanged, this, &CompareView::setDimension);
  m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_metrics->setSelectionMode(QAbstractItemView::NoSelection);
  m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_metrics->horizontalHeader()->setStretchLastSection(true);
  m_metrics->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

  auto* header = new QHBoxLayout;
  header->addWidget(m_title, 1);
  header->addWidget(m_status);
  header->addWidget(m_dim);
  auto* plots = new QSplitter(Qt::Vertical, this);
  plots->addWidget(m_dimension);
  plots->addWidget(m_errors);
  auto* body = new QSplitter(Qt::Horizontal, this);
  body->addWidget(plots);
  body->addWidget(m_metrics);
  body->setStretchFactor(0, 3);
  body->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(header);
  layout->addWidget(m_bytesNote);
  layout->addWidget(body, 1);
  connect(&m_jobs, &JobRunner::jobFinished, this, &CompareView::onJobFinished);
}

CompareView::~CompareView() {
  if (m_job >= 0) m_jobs.cancel(m_job);
}

bool CompareView::busy() const {
  return m_job >= 0 && m_jobs.status(m_job).state == JobState::Running;
}

void CompareView::showFits(const ComparePair& pair) {
  if (m_job >= 0) m_jobs.cancel(m_job);
  const auto a = QString::fromStdString(pair.a.value("method", "?"));
  const auto b = QString::fromStdString(pair.b.value("method", "?"));
  m_status->setText(tr("fitting %1 and %2…").arg(a, b));
  std::string device;
  try {
    device = gpu::resolveDevice(m_device);
  } catch (const std::exception& e) {
    m_status->setText(tr("failed: %1").arg(QString::fromStdString(e.what())));
    Q_EMIT failed(QString::fromStdString(e.what()));
    return;
  }
  const int generation = ++m_generation;
  m_job = m_jobs.start(
      tr("Compare %1 vs %2 on %3").arg(a, b, QString::fromStdString(device)), device,
      [pair, device](core::JobContext& ctx) { return computeCompare(pair, device, ctx); },
      [self = QPointer<CompareView>(this), generation](const CompareResult& result) {
        if (!self || self->m_generation != generation) return;  // gone, or replaced by a newer one
        self->m_job = -1;
        self->setResult(result);
        Q_EMIT self->fitsShown();
      });
}

void CompareView::onJobFinished(int id) {
  if (id != m_job) return;  // another job, or one this view replaced
  m_job = -1;
  const auto& status = m_jobs.status(id);
  if (status.state != JobState::Failed) return;  // success was applied, a cancel shows nothing
  m_status->setText(tr("failed: %1").arg(status.error));
  Q_EMIT failed(status.error);
}

void CompareView::setResult(CompareResult result) {
  m_result = std::move(result);
  const CompareResult& r = *m_result;
  m_title->setText(QString::fromStdString(r.title()));
  const std::string note = r.bytesNote();
  m_bytesNote->setText(QString::fromStdString(note));
  m_bytesNote->setVisible(!note.empty());
  m_status->setText(tr("on %1").arg(QString::fromStdString(r.device)));
  m_errors->setData(r.errorMap());
  const auto rows = r.metricRows();
  m_metrics->clear();
  m_metrics->setRowCount(static_cast<int>(rows.size()));
  m_metrics->setColumnCount(2);
  m_metrics->setHorizontalHeaderLabels({QString::fromStdString(r.fits[0].label),
                                        QString::fromStdString(r.fits[1].label)});
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    const auto& row = rows[static_cast<std::size_t>(i)];
    m_metrics->setVerticalHeaderItem(i, new QTableWidgetItem(QString::fromStdString(row.name)));
    for (int j = 0; j < 2; ++j) {
      auto* item =
          new QTableWidgetItem(QString::fromStdString(row.values[static_cast<std::size_t>(j)]));
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      m_metrics->setItem(i, j, item);
    }
  }
  const QSignalBlocker block(m_dim);
  m_dim->setRange(0, static_cast<int>(r.dims) - 1);
  m_dim->setEnabled(true);
  m_dim->setValue(r.busiestDim());
  setDimension(m_dim->value());
}

void CompareView::setDimension(int dim) {
  if (!m_result || dim < 0 || dim >= m_result->dims) return;
  if (m_dim->value() != dim) {
    m_dim->setValue(dim);  // comes back here through valueChanged
    return;
  }
  m_dimension->setChart(m_result->dimensionChart(dim));
}

}  // namespace kvwb::widgets
