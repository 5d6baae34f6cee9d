// ResultsView: lays out the run list, plots and table; reads the checked runs' rows and predicts
// their decode times once per reload and rebuilds the table, summary and plots from them whenever
// the runs, the row scope, a chosen axis or the decode device or context change.
#include "widgets/results_view.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/reports/results_csv.h"
#include "core/reports/results_summary.h"
#include "widgets/family_best_page.h"
#include "widgets/parallel_coordinates.h"
#include "widgets/plots/line_plot.h"
#include "widgets/plots/scatter_plot.h"
#include "widgets/results_model.h"
#include "widgets/summary_model.h"

namespace kvwb::widgets {
namespace {

QString qstr(std::string_view text) { return QString::fromUtf8(text.data(), qsizetype(text.size())); }

// Adds resultAxes() entries (all, or the fit metrics only), then the predicted decode time, with
// their names as item data; ResultsView::updateDecodeTimes titles the decode item.
void addAxes(QComboBox* combo, bool metricsOnly) {
  for (const ResultAxis& axis : resultAxes())
    if (!metricsOnly || axis.metric) combo->addItem(qstr(axis.title), qstr(axis.name));
  combo->addItem(QString(), qstr(kDecodeAxisName));
}

void selectAxis(QComboBox* combo, std::string_view name) {
  const int index = combo->findData(qstr(name));
  if (index >= 0) combo->setCurrentIndex(index);
}

// A chart with the predicted decode time on an axis notes the raw cache's time, the baseline.
ScatterChart withRawDecode(ScatterChart chart, const ResultAxis& x, const ResultAxis& y,
                           const DecodeTimes& times) {
  const std::string raw = times.rawText();
  if ((x.name == kDecodeAxisName || y.name == kDecodeAxisName) && !raw.empty())
    chart.note += "; " + raw;
  return chart;
}

}  // namespace

ResultsView::ResultsView(QWidget* parent)
    : QWidget(parent),
      m_runs(new QListWidget),
      m_rows(new QComboBox),
      m_quality(new QComboBox),
      m_x(new QComboBox),
      m_scatterX(new QComboBox),
      m_scatterY(new QComboBox),
      m_device(new QComboBox),
      m_context(new QSpinBox),
      m_filter(new QLineEdit),
      m_model(new ResultsModel(this)),
      m_proxy(new ResultsProxy(this)),
      m_table(new QTableView),
      m_summary(new SummaryModel(this)),
      m_summaryTable(new QTableView),
      m_summaryCommon(new QLabel),
      m_familyBest(new FamilyBestPage),
      m_pareto(new ScatterPlot),
      m_scatter(new ScatterPlot),
      m_parallel(new LinePlot) {
  m_runs->setObjectName(QStringLiteral("resultRuns"));
  m_runs->setToolTip(tr("The runs whose rows are shown (a sweep makes one run per method)"));
  m_rows->addItem(tr("Job aggregates"), true);
  m_rows->addItem(tr("Per-target fits"), false);
  m_rows->setToolTip(tr("Job aggregates: every target of a sweep job compressed at once (Δ "
                        "perplexity is measured there); per-target: one row per layer, head, kind"));
  addAxes(m_quality, true);
  addAxes(m_x, true);
  addAxes(m_scatterX, false);
  addAxes(m_scatterY, false);
  selectAxis(m_quality, core::fitMetric(core::FitMetric::CosSim).column);
  selectAxis(m_x, core::fitMetric(core::FitMetric::Ratio).column);
  selectAxis(m_scatterX, core::fitMetric(core::FitMetric::Ratio).column);
  selectAxis(m_scatterY, core::fitMetric(core::FitMetric::CosSim).column);
  m_filter->setPlaceholderText(tr("Filter rows (any column)…"));
  m_filter->setClearButtonEnabled(true);
  auto* exportButton = new QPushButton(tr("Export CSV…"));
  exportButton->setToolTip(tr("Every row of the checked runs, as kvwb-cli export --csv writes it"));

  m_proxy->setSourceModel(m_model);
  m_table->setObjectName(QStringLiteral("resultsTable"));
  m_table->setModel(m_proxy);
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(-1, Qt::AscendingOrder);  // the rows' own order until a header is clicked
  m_table->setAlternatingRowColors(true);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->verticalHeader()->setVisible(false);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_pareto->setObjectName(QStringLiteral("paretoPlot"));
  m_scatter->setObjectName(QStringLiteral("scatterPlot"));

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Rows:")));
  controls->addWidget(m_rows);
  controls->addSpacing(12);
  controls->addWidget(new QLabel(tr("Quality:")));
  controls->addWidget(m_quality);
  controls->addWidget(new QLabel(tr("against")));
  controls->addWidget(m_x);
  controls->addSpacing(12);
  controls->addWidget(m_filter, 1);
  controls->addWidget(exportButton);

  auto* scatterPage = new QWidget;
  auto* scatterControls = new QHBoxLayout;
  scatterControls->addWidget(new QLabel(tr("x:")));
  scatterControls->addWidget(m_scatterX);
  scatterControls->addWidget(new QLabel(tr("y:")));
  scatterControls->addWidget(m_scatterY);
  scatterControls->addStretch(1);
  auto* scatterLayout = new QVBoxLayout(scatterPage);
  scatterLayout->setContentsMargins(0, 4, 0, 0);
  scatterLayout->addLayout(scatterControls);
  scatterLayout->addWidget(m_scatter, 1);
  auto* plots = new QTabWidget;
  plots->setDocumentMode(true);
  plots->addTab(m_pareto, tr("Pareto front"));
  plots->addTab(scatterPage, tr("Scatter"));
  m_parallel->setObjectName(QStringLiteral("parallelPlot"));
  const int parallel = plots->addTab(m_parallel, tr("Parallel"));
  plots->setTabToolTip(parallel, tr("Parallel coordinates: every job across every metric"));
  plots->addTab(buildSummaryPage(), tr("Per job"));
  m_familyBest->setObjectName(QStringLiteral("familyBest"));
  const int family = plots->addTab(m_familyBest, tr("Best per family"));
  plots->setTabToolTip(family, tr("The best job of each method family at a compression ratio "
                                  "(kvwb-cli summary --at-ratio)"));
  // Five tabs and the decode controls do not fit a narrow window: tabs shrink, their text elided,
  // rather than hide behind scroll buttons.
  plots->setUsesScrollButtons(false);
  plots->setElideMode(Qt::ElideRight);
  for (int i = 0; i < plots->count(); ++i)  // an elided tab's full name
    if (plots->tabToolTip(i).isEmpty()) plots->setTabToolTip(i, plots->tabText(i));
  plots->setCornerWidget(buildDecodeControls(), Qt::TopRightCorner);

  auto* right = new QSplitter(Qt::Vertical);
  right->addWidget(plots);
  right->addWidget(m_table);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 2);
  auto* main = new QSplitter(Qt::Horizontal);
  main->addWidget(m_runs);
  main->addWidget(right);
  main->setStretchFactor(1, 1);
  main->setSizes({230, 1000});
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(main, 1);

  connect(m_runs, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
    const std::string id = item->text().toStdString();
    if (item->checkState() == Qt::Checked ? m_shown.insert(id).second : m_shown.erase(id) > 0)
      reloadRows();
  });
  connect(m_rows, &QComboBox::currentIndexChanged, this, [this] {
    m_proxy->setAggregates(m_rows->currentData().toBool());
    updatePlots();
  });
  for (QComboBox* combo : {m_quality, m_x, m_scatterX, m_scatterY}) {
    connect(combo, &QComboBox::currentIndexChanged, this, &ResultsView::updatePlots);
    connect(combo, &QComboBox::activated, this, [this] { m_axesChosen = true; });
  }
  connect(m_device, &QComboBox::currentIndexChanged, this, &ResultsView::updateDecodeTimes);
  connect(m_context, &QSpinBox::valueChanged, this, &ResultsView::updateDecodeTimes);
  connect(m_filter, &QLineEdit::textChanged, m_proxy,
          &QSortFilterProxyModel::setFilterFixedString);
  connect(exportButton, &QPushButton::clicked, this, &ResultsView::chooseCsv);
  for (ScatterPlot* plot : {m_pareto, m_scatter})
    connect(plot, &ScatterPlot::fitSelected, this, &ResultsView::fitSelected);
  updateDecodeTimes();
}

void ResultsView::setProject(const core::Project& project) {
  m_project = project;
  refresh();
}

void ResultsView::showRuns(const QStringList& runIds) {
  m_shown.clear();
  for (const QString& id : runIds) m_shown.insert(id.toStdString());
  refresh();
}

QStringList ResultsView::shownRuns() const {
  QStringList ids;
  for (int row = 0; row < m_runs->count(); ++row)
    if (m_runs->item(row)->checkState() == Qt::Checked) ids << m_runs->item(row)->text();
  return ids;
}

void ResultsView::refresh() {
  m_runInfos.clear();
  if (m_project) {
    try {
      m_runInfos = m_project->runs();
    } catch (const std::exception& e) {
      qWarning("results: %s", e.what());  // a journal mid-write: the next refresh reads it
    }
  }
  fillRunList();
  reloadRows();
}

void ResultsView::fillRunList() {
  const QSignalBlocker block(m_runs);
  m_runs->clear();
  for (const core::RunInfo& run : m_runInfos) {
    auto* item = new QListWidgetItem(QString::fromStdString(run.id), m_runs);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(m_shown.contains(run.id) ? Qt::Checked : Qt::Unchecked);
    item->setToolTip(tr("%1 · %2 · %n result(s)", nullptr, static_cast<int>(run.resultCount))
                         .arg(QString::fromStdString(run.method), QString::fromStdString(run.status)));
  }
}

std::vector<core::RunInfo> ResultsView::checkedRuns() const {
  std::vector<core::RunInfo> shown;
  for (const core::RunInfo& run : m_runInfos)
    if (m_shown.contains(run.id)) shown.push_back(run);
  return shown;
}

void ResultsView::reloadRows() {
  m_loaded.clear();
  if (m_project) {
    try {
      m_loaded = core::loadRunResults(*m_project, checkedRuns());
    } catch (const std::exception& e) {
      qWarning("results: %s", e.what());  // a journal mid-write: the next refresh reads it
    }
  }
  m_model->setEntries(resultEntries(m_loaded));
  // Model quality over text windows is what the plots show by default where a run measured it
  // (ln PPL ratio on the Pareto front, KL divergence on the scatter); until the user picks axes.
  const bool quality = std::any_of(m_model->entries().begin(), m_model->entries().end(), [](const ResultEntry& e) {
    return std::isfinite(e.row[core::FitMetric::LnPplRatio]);
  });
  if (!m_axesChosen) {
    selectAxis(m_quality, core::fitMetric(quality ? core::FitMetric::LnPplRatio : core::FitMetric::CosSim).column);
    selectAxis(m_scatterY, core::fitMetric(quality ? core::FitMetric::Kld : core::FitMetric::CosSim).column);
  }
  m_table->resizeColumnsToContents();
  updateDecodeTimes();
}

QWidget* ResultsView::buildDecodeControls() {
  for (const std::string& name : core::deviceNames())
    m_device->addItem(QString::fromStdString(deviceLabel(name)), QString::fromStdString(name));
  m_device->setCurrentIndex(m_device->findData(QString::fromLatin1(kDefaultDecodeDevice)));
  m_device->setToolTip(tr("Device of the predicted decode time (axis and Per job column): "
                          "datasheet figures, or CPU, this machine measured (a few seconds, once)"));
  m_context->setRange(1, 1 << 24);
  m_context->setValue(static_cast<int>(kDefaultDecodeContext));
  m_context->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
  m_context->setKeyboardTracking(false);  // predict once the number is entered, not per digit
  m_context->setPrefix(tr("L="));  // compact: the plot tabs beside it must fit at 1366 px
  m_context->setToolTip(tr("Context length L (tokens) of the predicted decode step"));
  auto* box = new QWidget;
  auto* layout = new QHBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(new QLabel(tr("decode")));
  layout->addWidget(m_device);
  layout->addWidget(m_context);
  return box;
}

void ResultsView::updateDecodeTimes() {
  const std::string device = m_device->currentData().toString().toStdString();
  const std::int64_t context = m_context->value();
  DecodeTimes times{.context = context};
  try {
    times = m_project ? predictDecodeTimes(*m_project, checkedRuns(), context, device)
                      : DecodeTimes{.context = context, .device = core::deviceProfile(device)};
  } catch (const std::exception& e) {
    // A run of a method this build does not know: no times; the axis and the column stay empty.
    qWarning("results: decode cost: %s", e.what());
    times.device.name = device;
  }
  m_decode = std::make_shared<const DecodeTimes>(std::move(times));
  m_decodeAxis = decodeTimeAxis(m_decode);
  for (QComboBox* combo : {m_quality, m_x, m_scatterX, m_scatterY})
    combo->setItemText(combo->findData(qstr(kDecodeAxisName)), qstr(m_decodeAxis.title));
  updateSummary();
  updatePlots();
}

const ResultAxis& ResultsView::axisOf(const QComboBox* combo) const {
  const std::string name = combo->currentData().toString().toStdString();
  return name == kDecodeAxisName ? m_decodeAxis
                                 : resultAxes()[static_cast<std::size_t>(axisIndex(name))];
}

QWidget* ResultsView::buildSummaryPage() {
  auto* proxy = new NumericSortProxy(this);
  proxy->setSourceModel(m_summary);
  connect(m_filter, &QLineEdit::textChanged, proxy, &QSortFilterProxyModel::setFilterFixedString);
  m_summaryTable->setObjectName(QStringLiteral("summaryTable"));
  m_summaryTable->setModel(proxy);
  m_summaryTable->setSortingEnabled(true);
  m_summaryTable->sortByColumn(-1, Qt::AscendingOrder);
  m_summaryTable->setAlternatingRowColors(true);
  m_summaryTable->verticalHeader()->setVisible(false);
  m_summaryTable->verticalHeader()->setDefaultSectionSize(m_summaryTable->fontMetrics().height() + 6);
  m_summaryTable->setToolTip(tr("One row per sweep job: each metric's mean over the job's K and V "
                                "targets; Δppl all with every target of the job compressed"));
  m_summaryCommon->setObjectName(QStringLiteral("summaryCommon"));
  m_summaryCommon->setWordWrap(true);
  m_summaryCommon->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(0, 4, 0, 0);
  layout->addWidget(m_summaryTable, 1);
  layout->addWidget(m_summaryCommon);
  return page;
}

void ResultsView::updateSummary() {
  auto summary = core::summarizeResults(m_loaded, core::SummaryGrouping::Job);
  m_summary->setSummary(summary, *m_decode);
  m_familyBest->setSummary(std::move(summary));
  m_summaryTable->resizeColumnsToContents();
  QStringList notes;
  if (const QString common = m_summary->commonParamsText(); !common.isEmpty())
    notes << tr("Shared by every row of a method:\n%1").arg(common);
  if (const std::string raw = m_decode->rawText(); !raw.empty())
    notes << tr("Decode time predicted for the %1").arg(QString::fromStdString(raw));
  m_summaryCommon->setText(notes.join(QLatin1Char('\n')));
}

void ResultsView::updatePlots() {
  const bool aggregates = m_rows->currentData().toBool();
  const ResultAxis &quality = axisOf(m_quality), &x = axisOf(m_x);
  m_pareto->setChart(withRawDecode(buildParetoChart(m_model->entries(), quality, x, aggregates),
                                   x, quality, *m_decode));
  const ResultAxis &scatterX = axisOf(m_scatterX), &scatterY = axisOf(m_scatterY);
  m_scatter->setChart(
      withRawDecode(buildScatterChart(m_model->entries(), scatterX, scatterY, aggregates),
                    scatterX, scatterY, *m_decode));
  m_parallel->setChart(buildParallelChart(m_model->entries(), aggregates));
}

void ResultsView::setPareto(core::FitMetric quality, core::FitMetric x) {
  m_axesChosen = true;
  selectAxis(m_quality, core::fitMetric(quality).column);
  selectAxis(m_x, core::fitMetric(x).column);
}

void ResultsView::setParetoX(std::string_view axis) { selectAxis(m_x, axis); }

void ResultsView::setDecodeCost(const QString& device, int context) {
  const QSignalBlocker blockDevice(m_device), blockContext(m_context);  // one prediction for both
  m_device->setCurrentIndex(m_device->findData(device.toLower()));
  m_context->setValue(context);
  updateDecodeTimes();
}

void ResultsView::setAggregates(bool aggregates) {
  m_rows->setCurrentIndex(m_rows->findData(aggregates));
}

bool ResultsView::exportCsv(const QString& path, QString* error) const {
  const auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  if (!m_project) return fail(tr("No project is open."));
  std::ofstream out(path.toStdString());
  if (!out) return fail(tr("%1: cannot write the file.").arg(path));
  core::writeResultsCsv(m_loaded, out);
  out.close();
  return out ? true : fail(tr("%1: writing failed.").arg(path));
}

void ResultsView::chooseCsv() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export Results"), QString(), tr("CSV (*.csv)"));
  if (path.isEmpty()) return;
  QString error;
  if (!exportCsv(path, &error)) {
    auto* box = new QMessageBox(QMessageBox::Critical, tr("Export Results"), error,
                                QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
  }
}

}  // namespace kvwb::widgets
