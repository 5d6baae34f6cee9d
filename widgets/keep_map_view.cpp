// KeepMapView: core::jobKeepMap as a JobRunner job on the resolved device, its result shown as a
// KeepMapPlot, a target chooser and a text document of the tokens; a failure (its message)
// arrives through the runner, never as an exception crossing into Qt.
#include "widgets/keep_map_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPointer>
#include <QScrollBar>
#include <QSplitter>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>
#include <algorithm>

#include "core/project/project.h"
#include "gpu/device.h"
#include "widgets/job_runner.h"
#include "widgets/plots/keep_map_plot.h"

namespace kvwb::widgets {

KeepMapView::KeepMapView(JobRunner& jobs, QWidget* parent)
    : QWidget(parent),
      m_title(new QLabel(tr("No job shown yet: Analysis → What Is Kept…"), this)),
      m_stats(new QLabel(this)),
      m_status(new QLabel(this)),
      m_targetBox(new QComboBox(this)),
      m_plot(new KeepMapPlot(this)),
      m_targetLine(new QLabel(this)),
      m_text(new QTextBrowser(this)) {
  m_title->setObjectName(QStringLiteral("title"));
  m_stats->setObjectName(QStringLiteral("stats"));
  m_targetBox->setObjectName(QStringLiteral("targetBox"));
  m_plot->setObjectName(QStringLiteral("keepMapPlot"));
  m_text->setObjectName(QStringLiteral("keepText"));
  QFont bold = m_title->font();
  bold.setBold(true);
  m_title->setFont(bold);
  m_title->setTextFormat(Qt::PlainText);
  m_stats->setTextFormat(Qt::PlainText);
  m_stats->setWordWrap(true);
  m_stats->setStyleSheet(QStringLiteral("color: #444"));
  m_status->setStyleSheet(QStringLiteral("color: #555"));
  m_targetLine->setTextFormat(Qt::PlainText);
  m_targetLine->setWordWrap(true);
  m_targetBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_targetBox->setToolTip(tr("The target whose kept tokens the text highlights (or every target: "
                             "tokens shaded by the share of targets that keep them)"));
  connect(m_targetBox, &QComboBox::currentIndexChanged, this,
          [this] { selectTarget(m_targetBox->currentData().toInt()); });
  connect(m_plot, &KeepMapPlot::rowSelected, this, [this](int row) {
    const auto& rows = m_plot->map().rows;
    if (row >= 0 && row < static_cast<int>(rows.size())) selectTarget(rows[static_cast<std::size_t>(row)].id);
  });
  QFont textFont = m_text->font();
  textFont.setPointSizeF(textFont.pointSizeF() * 1.15);
  m_text->document()->setDefaultFont(textFont);
  m_text->setPlaceholderText(tr("The capture's tokens, the kept ones highlighted."));

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Target:"), this));
  controls->addWidget(m_targetBox);
  controls->addStretch(1);
  controls->addWidget(m_status);
  auto* lower = new QWidget(this);
  auto* lowerLayout = new QVBoxLayout(lower);
  lowerLayout->setContentsMargins(0, 0, 0, 0);
  lowerLayout->addWidget(m_targetLine);
  lowerLayout->addWidget(m_text, 1);
  auto* body = new QSplitter(Qt::Vertical, this);
  body->setObjectName(QStringLiteral("keepMapSplitter"));
  body->addWidget(m_plot);
  body->addWidget(lower);
  body->setStretchFactor(0, 3);
  body->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_title);
  layout->addWidget(m_stats);
  layout->addLayout(controls);
  layout->addWidget(body, 1);
  m_job = new ViewJob(jobs, m_status, tr("refitting"), this);
  connect(m_job, &ViewJob::failed, this, &KeepMapView::failed);
}

bool KeepMapView::busy() const { return m_job->busy(); }

int KeepMapView::showJob(const std::filesystem::path& project, const std::string& jobKey) {
  return m_job->start(
      tr("What is kept"), tr("refitting"), jobKey,
      [project, jobKey](const std::string& device) {
        return [project, jobKey, device](core::JobContext& ctx) {
          return core::jobKeepMap(core::Project::open(project), jobKey, device, ctx);
        };
      },
      [this](const core::JobKeepMap& result) {
        setKeepMap(result);
        Q_EMIT keepMapShown();
      });
}

void KeepMapView::setKeepMap(core::JobKeepMap map) {
  m_map = std::move(map);
  m_title->setText(keepMapTitle(*m_map));
  m_stats->setText(keepMapStatsText(*m_map));
  m_status->clear();
  const KeepMapChart chart = keepMapChart(*m_map);
  m_rowOfTarget.assign(m_map->targets.size(), -1);
  for (std::size_t r = 0; r < chart.rows.size(); ++r)
    if (chart.rows[r].id >= 0) m_rowOfTarget[static_cast<std::size_t>(chart.rows[r].id)] = static_cast<int>(r);
  m_plot->setMap(chart);
  {
    const QSignalBlocker quiet(m_targetBox);
    m_targetBox->clear();
    m_targetBox->addItem(tr("every target (mean)"), -1);
    for (std::size_t i = 0; i < m_map->targets.size(); ++i)
      m_targetBox->addItem(targetLabel(m_map->targets[i]), static_cast<int>(i));
  }
  m_target = -2;  // nothing shown yet
  selectTarget(-1);
}

void KeepMapView::selectTarget(int target) {
  if (!m_map) return;
  if (target < -1 || target >= static_cast<int>(m_map->targets.size())) target = -1;
  if (target == m_target) return;
  m_target = target;
  {
    const QSignalBlocker quiet(m_targetBox);
    m_targetBox->setCurrentIndex(std::max(0, m_targetBox->findData(target)));
  }
  m_plot->setSelectedRow(target >= 0 ? m_rowOfTarget[static_cast<std::size_t>(target)] : -1);
  m_plot->setAttention(keepAttentionChart(*m_map, target));
  m_targetLine->setText(keepTargetText(*m_map, target));
  fillText();
}

QString KeepMapView::targetText() const { return m_targetLine->text(); }

void KeepMapView::fillText() {
  const int scroll = m_text->verticalScrollBar() ? m_text->verticalScrollBar()->value() : 0;
  m_tokens = keepTokens(*m_map, m_target);
  m_tokenStarts.clear();
  QTextDocument* doc = m_text->document();
  doc->clear();
  QTextCursor c(doc);
  QTextBlockFormat body;
  body.setLineHeight(140, QTextBlockFormat::ProportionalHeight);
  c.setBlockFormat(body);
  for (const KeepToken& token : m_tokens) {
    m_tokenStarts.push_back(c.position());
    QTextCharFormat format;
    if (token.kept > 0) format.setBackground(keptBackground(token.kept));
    format.setForeground(keptForeground(token.kept));
    format.setToolTip(token.toolTip);
    c.insertText(token.text, format);
  }
  m_text->verticalScrollBar()->setValue(scroll);
}

QColor KeepMapView::tokenBackground(int position) const {
  if (position < 0 || position >= static_cast<int>(m_tokenStarts.size())) return {};
  QTextCursor c(m_text->document());
  c.setPosition(m_tokenStarts[static_cast<std::size_t>(position)] + 1);  // the format of its first character
  const QBrush brush = c.charFormat().background();
  return brush.style() == Qt::NoBrush ? QColor(Qt::white) : brush.color();
}

}  // namespace kvwb::widgets
