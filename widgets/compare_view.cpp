// CompareView: QtConcurrent::run + QFutureWatcher around computeCompare; exceptions end the job
// as an Outcome message, never crossing into Qt.
#include "widgets/compare_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "core/base/errors.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"

namespace kvwb::widgets {
namespace {

// Cancellation of one computation, read by the core between epochs.
class FlagContext : public core::JobContext {
 public:
  explicit FlagContext(std::shared_ptr<std::atomic<bool>> flag) : m_flag(std::move(flag)) {}
  bool cancelled() const override { return m_flag->load(); }

 private:
  std::shared_ptr<std::atomic<bool>> m_flag;
};

}  // namespace

CompareView::CompareView(QWidget* parent)
    : QWidget(parent),
      m_title(new QLabel(tr("No comparison yet"), this)),
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
  layout->addWidget(body, 1);
  connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, &CompareView::onFinished);
}

CompareView::~CompareView() {
  cancel();
  m_watcher.waitForFinished();
}

void CompareView::cancel() {
  if (m_cancel) m_cancel->store(true);
}

void CompareView::showFits(const ComparePair& pair) {
  cancel();
  m_cancel = std::make_shared<std::atomic<bool>>(false);
  m_status->setText(tr("fitting %1 and %2…")
                        .arg(QString::fromStdString(pair.a.value("method", "?")),
                             QString::fromStdString(pair.b.value("method", "?"))));
  m_watcher.setFuture(QtConcurrent::run([pair, device = m_device, flag = m_cancel]() -> Outcome {
    FlagContext ctx(flag);
    try {
      return {computeCompare(pair, device, ctx), {}};
    } catch (const core::Cancelled&) {
      return {std::nullopt, {}};
    } catch (const std::exception& e) {
      return {std::nullopt, QString::fromStdString(e.what())};
    }
  }));
}

void CompareView::onFinished() {
  if (m_watcher.isCanceled() || m_cancel->load()) return;  // a newer showFits() is in flight
  Outcome outcome = m_watcher.result();
  if (!outcome.result && outcome.error.isEmpty()) return;  // cancelled
  if (!outcome.result) {
    m_status->setText(tr("failed: %1").arg(outcome.error));
    Q_EMIT failed(outcome.error);
    return;
  }
  setResult(std::move(*outcome.result));
  Q_EMIT fitsShown();
}

void CompareView::setResult(CompareResult result) {
  m_result = std::move(result);
  const CompareResult& r = *m_result;
  m_title->setText(QString::fromStdString(r.title()));
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
