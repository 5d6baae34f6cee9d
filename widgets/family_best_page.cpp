// FamilyBestPage: recomputes core::bestPerFamily when the summary, the ratio or the metric
// changes (a summary's few hundred jobs: instant) and shows core::familyBestTable.
#include "widgets/family_best_page.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QStringList>
#include <QTableView>
#include <QVBoxLayout>

#include "widgets/results_model.h"
#include "widgets/summary_model.h"

namespace kvwb::widgets {

FamilyBestPage::FamilyBestPage(QWidget* parent)
    : QWidget(parent),
      m_ratio(new QDoubleSpinBox),
      m_by(new QComboBox),
      m_model(new SummaryModel(this)),
      m_table(new QTableView),
      m_notes(new QLabel) {
  m_ratio->setObjectName(QStringLiteral("familyRatio"));
  m_ratio->setRange(0.1, 1e4);
  m_ratio->setDecimals(2);
  m_ratio->setValue(4.0);
  m_ratio->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
  m_ratio->setPrefix(QStringLiteral("≥ "));
  m_ratio->setSuffix(QStringLiteral("×"));
  m_ratio->setKeyboardTracking(false);
  m_ratio->setToolTip(
      tr("The budget: jobs whose compression ratio is at least this (bytes at or "
         "under the raw float16 cache's / ratio)"));
  m_by->setObjectName(QStringLiteral("familyBy"));
  m_by->addItem(tr("KLD, else attn KL, else rel err"), -1);
  for (const auto& m : core::fitMetrics())
    if (m.better != core::Better::Neither)
      m_by->addItem(QString::fromUtf8(m.title), static_cast<int>(m.id));
  m_by->setToolTip(
      tr("The metric that picks each family's best job (lowest wins, highest for "
         "a metric where higher is better)"));

  auto* proxy = new NumericSortProxy(this);
  proxy->setSourceModel(m_model);
  m_table->setObjectName(QStringLiteral("familyBestTable"));
  m_table->setModel(proxy);
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(-1, Qt::AscendingOrder);
  m_table->setAlternatingRowColors(true);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_notes->setObjectName(QStringLiteral("familyNotes"));
  m_notes->setWordWrap(true);
  m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Best per family at ratio")));
  controls->addWidget(m_ratio);
  controls->addWidget(new QLabel(tr("by")));
  controls->addWidget(m_by);
  controls->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 4, 0, 0);
  layout->addLayout(controls);
  layout->addWidget(m_table, 1);
  layout->addWidget(m_notes);
  connect(m_ratio, &QDoubleSpinBox::valueChanged, this, &FamilyBestPage::update);
  connect(m_by, &QComboBox::currentIndexChanged, this, &FamilyBestPage::update);
  update();
}

void FamilyBestPage::setSummary(core::ResultsSummary summary) {
  m_summary = std::move(summary);
  update();
}

void FamilyBestPage::setRatio(double ratio) { m_ratio->setValue(ratio); }

double FamilyBestPage::ratio() const { return m_ratio->value(); }

void FamilyBestPage::setBy(std::optional<core::FitMetric> by) {
  m_by->setCurrentIndex(m_by->findData(by ? static_cast<int>(*by) : -1));
}

void FamilyBestPage::update() {
  const int id = m_by->currentData().toInt();
  const auto by = id < 0 ? std::nullopt : std::optional(static_cast<core::FitMetric>(id));
  m_best = core::bestPerFamily(m_summary, m_ratio->value(), by);
  m_model->setTable(core::familyBestTable(m_best));
  m_table->resizeColumnsToContents();
  QStringList lines{QString::fromStdString(core::familyBestCaption(m_best))};
  for (const std::string& note : m_best.notes) lines << QString::fromStdString(note);
  m_notes->setText(lines.join(QLatin1Char('\n')));
}

}  // namespace kvwb::widgets
