// SweepDialog: the form <-> sweep JSON mapping, preset loading, and the live plan (core::planSweep)
// with a rough CPU time estimate calibrated on the demo preset (2 CPU cores).
#include "widgets/sweep_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "core/compress/compressor.h"
#include "widgets/resource_paths.h"
#include "core/compress/sweep.h"

namespace kvwb::widgets {
namespace {

// Comma-separated values; commas inside [...], {...} or "..." do not split.
std::vector<std::string> splitValues(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  bool quoted = false;
  const auto flush = [&] {
    const auto first = current.find_first_not_of(" \t");
    if (first != std::string::npos)
      out.push_back(current.substr(first, current.find_last_not_of(" \t") - first + 1));
    current.clear();
  };
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '[' || c == '{')) ++depth;
    if (!quoted && (c == ']' || c == '}')) --depth;
    if (c == ',' && depth == 0 && !quoted)
      flush();
    else
      current += c;
  }
  flush();
  return out;
}

// A value as JSON when it reads as JSON (numbers, true, objects), else as a string (kivi, tiny).
nlohmann::json parseValue(const std::string& token) {
  auto value = nlohmann::json::parse(token, nullptr, false);
  return value.is_discarded() ? nlohmann::json(token) : value;
}

std::string valueText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string joinValues(const nlohmann::json& values) {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : ", ") + valueText(v);
  return text;
}

// "all" (or empty) -> "all"; "0, 2-4" -> [0, 2, 3, 4] (ranges only when `ranges`). Throws naming
// `field`.
nlohmann::json parseIndices(const QString& text, const char* field, bool ranges = true) {
  const QString trimmed = text.trimmed();
  if (trimmed.isEmpty() || trimmed == QLatin1String("all")) return "all";
  nlohmann::json list = nlohmann::json::array();
  for (const QString& part : trimmed.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    const QStringList range = ranges ? part.trimmed().split(QLatin1Char('-')) : QStringList{part};
    bool okFirst = false, okLast = false;
    const int first = range.front().toInt(&okFirst);
    const int last = range.back().toInt(&okLast);
    if (range.size() > 2 || !okFirst || !okLast || last < first || first < 0)
      throw std::invalid_argument(std::string(field) + ": '" + part.trimmed().toStdString() +
                                  "' is not " + (ranges ? "an index or a range like 2-5" : "a count"));
    for (int i = first; i <= last; ++i) list.push_back(i);
  }
  return list;
}

QString indicesText(const nlohmann::json& value) {
  if (!value.is_array()) return QStringLiteral("all");
  return QString::fromStdString(joinValues(value));
}

// Rough seconds per target fit on 2 CPU cores (demo preset: SVD 1 ms, quant 3 ms, Fourier 7 ms,
// mixed precision 27 ms, tiny SIREN 11 ms per epoch), and per job for metrics and perplexity.
double fitSeconds(const core::SweepJob& job) {
  const double epochs = job.params.value("epochs", 2000.0);
  if (job.method == "siren") {
    static const std::map<std::string, double> kScale = {
        {"tiny", 1}, {"small", 2}, {"medium", 4}, {"large", 8}, {"deep", 6}, {"hifreq", 4},
        {"lofreq", 4}};
    const auto scale = kScale.find(job.params.value("config", std::string("medium")));
    return 0.011 * epochs * (scale == kScale.end() ? 4.0 : scale->second);
  }
  if (job.method == "kvsplice") return 0.004 * job.params.value("epochs", 500.0);
  if (job.method == "mixed_precision") return 0.027;
  if (job.method == "fourier" || job.method == "hybrid") return 0.007;
  return 0.003;
}

constexpr double kJobSeconds = 4.0;        // reading targets, metrics, Δ perplexity of the job
constexpr double kPerTargetPplSeconds = 1.0;

QString durationText(double seconds) {
  if (seconds < 90) return QCoreApplication::translate("SweepDialog", "%1 s").arg(qRound(seconds));
  if (seconds < 5400)
    return QCoreApplication::translate("SweepDialog", "%1 min").arg(qRound(seconds / 60));
  return QCoreApplication::translate("SweepDialog", "%1 h").arg(seconds / 3600, 0, 'f', 1);
}

}  // namespace

SweepDialog::SweepDialog(const core::Project& project, QWidget* parent)
    : QDialog(parent),
      m_project(project),
      m_preset(new QComboBox),
      m_name(new QLineEdit(QStringLiteral("sweep"))),
      m_methods(new QTreeWidget),
      m_captures(new QListWidget),
      m_layers(new QLineEdit(QStringLiteral("all"))),
      m_heads(new QLineEdit(QStringLiteral("all"))),
      m_keys(new QCheckBox(QStringLiteral("K"))),
      m_values(new QCheckBox(QStringLiteral("V"))),
      m_seqLengths(new QLineEdit),
      m_device(new QComboBox),
      m_deltaPpl(new QComboBox),
      m_attention(new QCheckBox(tr("attention output error and KL"))),
      m_pplTokens(new QSpinBox),
      m_seed(new QSpinBox),
      m_summary(new QLabel),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel)) {
  setWindowTitle(tr("New Sweep"));
  m_preset->setObjectName(QStringLiteral("preset"));
  m_name->setObjectName(QStringLiteral("name"));
  m_layers->setObjectName(QStringLiteral("layers"));
  m_heads->setObjectName(QStringLiteral("heads"));
  m_preset->addItem(tr("(defaults)"));
  for (const QFileInfo& file :
       QDir(presetDirectory()).entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
    m_preset->addItem(file.completeBaseName());
  m_name->setToolTip(tr("Runs are named <sweep>.<capture>.<method>; the same name and spec resume"));

  m_methods->setObjectName(QStringLiteral("methods"));
  m_methods->setHeaderLabels({tr("Method / parameter"), tr("Values (comma-separated)")});
  m_methods->setRootIsDecorated(true);
  m_methods->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  m_methods->setEditTriggers(QAbstractItemView::AllEditTriggers);
  m_methods->setToolTip(tr("Check the methods to run. Every combination of the listed values is a "
                           "job; one value is a fixed parameter."));

  for (const core::CaptureInfo& capture : m_project.captures()) {
    auto* item = new QListWidgetItem(QString::fromStdString(capture.name), m_captures);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(Qt::Checked);
    item->setToolTip(QStringLiteral("%1 layers × %2 KV heads × %3 tokens × %4 dims")
                         .arg(capture.layers).arg(capture.kvHeads).arg(capture.tokens)
                         .arg(capture.headDim));
  }
  m_captures->setMaximumHeight(90);
  m_keys->setChecked(true);
  m_values->setChecked(true);
  m_layers->setToolTip(tr("all, or indices and ranges: 0, 2-4"));
  m_heads->setToolTip(m_layers->toolTip());
  m_seqLengths->setPlaceholderText(tr("whole capture (minus the scored tokens)"));
  m_seqLengths->setToolTip(tr("Comma-separated token counts; each is a separate job"));
  m_device->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
  m_deltaPpl->addItem(tr("per job (all targets compressed)"), QStringLiteral("job"));
  m_deltaPpl->addItem(tr("per target (slow)"), QStringLiteral("per_target"));
  m_deltaPpl->addItem(tr("none"), QStringLiteral("none"));
  m_attention->setChecked(true);
  m_pplTokens->setRange(1, 4096);
  m_pplTokens->setValue(64);
  m_pplTokens->setSuffix(tr(" tokens"));
  m_seed->setRange(0, 1 << 30);
  m_summary->setObjectName(QStringLiteral("summary"));
  m_summary->setWordWrap(true);
  m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Run Sweep"));

  auto* targets = new QHBoxLayout;
  targets->addWidget(new QLabel(tr("layers")));
  targets->addWidget(m_layers);
  targets->addWidget(new QLabel(tr("heads")));
  targets->addWidget(m_heads);
  targets->addWidget(m_keys);
  targets->addWidget(m_values);
  auto* form = new QFormLayout;
  form->addRow(tr("Preset:"), m_preset);
  form->addRow(tr("Name:"), m_name);
  form->addRow(tr("Captures:"), m_captures);
  form->addRow(tr("Targets:"), targets);
  form->addRow(tr("Sequence lengths:"), m_seqLengths);
  form->addRow(tr("Attention metrics:"), m_attention);
  auto* ppl = new QHBoxLayout;
  ppl->addWidget(m_deltaPpl, 1);
  ppl->addWidget(m_pplTokens);
  form->addRow(tr("Δ perplexity:"), ppl);
  auto* device = new QHBoxLayout;
  device->addWidget(m_device);
  device->addWidget(new QLabel(tr("seed")));
  device->addWidget(m_seed);
  device->addStretch(1);
  form->addRow(tr("Device:"), device);
  auto* methods = new QGroupBox(tr("Methods and parameter grids"));
  (new QVBoxLayout(methods))->addWidget(m_methods);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(methods, 1);
  layout->addWidget(m_summary);
  layout->addWidget(m_buttons);
  resize(640, 760);

  for (const std::string& method : core::compressorMethods())
    addMethod(method, method == "svd", defaultParams(method));

  connect(m_preset, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index > 0) loadPreset(m_preset->currentText());
  });
  connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(m_methods, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item) {
    if (!item->parent()) item->setExpanded(item->checkState(0) == Qt::Checked);  // its grid
    updateSummary();
  });
  connect(m_captures, &QListWidget::itemChanged, this, &SweepDialog::updateSummary);
  for (QLineEdit* edit : {m_name, m_layers, m_heads, m_seqLengths})
    connect(edit, &QLineEdit::textChanged, this, &SweepDialog::updateSummary);
  for (QCheckBox* box : {m_keys, m_values, m_attention})
    connect(box, &QCheckBox::toggled, this, &SweepDialog::updateSummary);
  for (QComboBox* combo : {m_device, m_deltaPpl})
    connect(combo, &QComboBox::currentIndexChanged, this, &SweepDialog::updateSummary);
  connect(m_pplTokens, &QSpinBox::valueChanged, this, &SweepDialog::updateSummary);
  updateSummary();
}

QString SweepDialog::presetDirectory() { return resourceDirectory(QStringLiteral("resources/presets")); }

std::vector<std::pair<std::string, std::string>> SweepDialog::defaultParams(
    const std::string& method) {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kDefaults =
      {{"svd", {{"rank", "1, 2, 4"}}},
       {"pca", {{"rank", "1, 2, 4"}}},
       {"random_projection", {{"rank", "2, 4"}}},
       {"fourier", {{"coeffs", "32, 96"}, {"sink", "4"}, {"recent", "32"}}},
       {"quant", {{"bits", "8, 4"}, {"axis", "kivi"}}},
       {"mixed_precision", {{"ratio", "1.6, 2.5"}}},
       {"hybrid",
        {{"keys", R"({"method": "svd", "rank": 2})"}, {"values", R"({"method": "quant", "bits": 4})"}}},
       {"siren", {{"config", "tiny"}, {"epochs", "150"}, {"lr", "0.001"}}},
       {"kvsplice", {{"rank", "2"}, {"epochs", "300"}}}};
  const auto it = kDefaults.find(method);
  return it == kDefaults.end() ? std::vector<std::pair<std::string, std::string>>{} : it->second;
}

QTreeWidgetItem* SweepDialog::addMethod(
    const std::string& method, bool checked,
    const std::vector<std::pair<std::string, std::string>>& params) {
  const QSignalBlocker block(m_methods);
  auto* item = new QTreeWidgetItem(m_methods, {QString::fromStdString(method)});
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
  item->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
  for (const auto& [name, values] : params) {
    auto* row = new QTreeWidgetItem(item, {QString::fromStdString(name), QString::fromStdString(values)});
    row->setFlags(Qt::ItemIsEnabled | Qt::ItemIsEditable);
  }
  item->setExpanded(checked);  // unchecked methods show their grids once checked
  return item;
}

nlohmann::json SweepDialog::spec() const {
  nlohmann::json spec;
  spec["name"] = m_name->text().trimmed().toStdString();
  nlohmann::json captures = nlohmann::json::array();
  for (int row = 0; row < m_captures->count(); ++row)
    if (m_captures->item(row)->checkState() == Qt::Checked)
      captures.push_back(m_captures->item(row)->text().toStdString());
  if (captures.empty()) throw std::invalid_argument("captures: check at least one");
  spec["captures"] = static_cast<int>(captures.size()) == m_captures->count()
                         ? nlohmann::json("all")
                         : captures;
  nlohmann::json kinds = nlohmann::json::array();
  if (m_keys->isChecked()) kinds.push_back("K");
  if (m_values->isChecked()) kinds.push_back("V");
  if (kinds.empty()) throw std::invalid_argument("targets: check K, V or both");
  spec["targets"] = {{"layers", parseIndices(m_layers->text(), "layers")},
                     {"heads", parseIndices(m_heads->text(), "heads")},
                     {"kinds", kinds}};
  const nlohmann::json lengths = parseIndices(m_seqLengths->text(), "sequence lengths", false);
  if (lengths.is_array()) spec["seq_lengths"] = lengths;
  nlohmann::json methods = nlohmann::json::array();
  for (int i = 0; i < m_methods->topLevelItemCount(); ++i) {
    const QTreeWidgetItem* item = m_methods->topLevelItem(i);
    if (item->checkState(0) != Qt::Checked) continue;
    nlohmann::json method = {{"method", item->text(0).toStdString()},
                             {"params", nlohmann::json::object()},
                             {"grid", nlohmann::json::object()}};
    for (int p = 0; p < item->childCount(); ++p) {
      const std::string name = item->child(p)->text(0).toStdString();
      nlohmann::json values = nlohmann::json::array();
      for (const std::string& token : splitValues(item->child(p)->text(1).toStdString()))
        values.push_back(parseValue(token));
      if (values.size() == 1)
        method["params"][name] = values.front();
      else if (values.size() > 1)
        method["grid"][name] = values;
    }
    methods.push_back(method);
  }
  if (methods.empty()) throw std::invalid_argument("methods: check at least one");
  spec["methods"] = methods;
  spec["metrics"] = {{"attention", m_attention->isChecked()},
                     {"delta_ppl", m_deltaPpl->currentData().toString().toStdString()},
                     {"ppl_tokens", m_pplTokens->value()}};
  spec["device"] = m_device->currentText().toStdString();
  spec["seed"] = m_seed->value();
  return spec;
}

void SweepDialog::setSpec(const nlohmann::json& spec) {
  m_name->setText(QString::fromStdString(spec.value("name", std::string("sweep"))));
  // Listed captures this project has; every capture when it has none of them.
  auto captures = spec.value("captures", nlohmann::json("all"));
  const auto has = [this](const nlohmann::json& name) {
    return name.is_string() && m_project.hasCapture(name.get<std::string>());
  };
  if (!captures.is_array() || std::none_of(captures.begin(), captures.end(), has))
    captures = "all";
  {
    const QSignalBlocker block(m_captures);
    for (int row = 0; row < m_captures->count(); ++row) {
      const std::string name = m_captures->item(row)->text().toStdString();
      const bool listed = !captures.is_array() ||
                          std::find(captures.begin(), captures.end(), name) != captures.end();
      m_captures->item(row)->setCheckState(listed ? Qt::Checked : Qt::Unchecked);
    }
  }
  const auto targets = spec.value("targets", nlohmann::json::object());
  m_layers->setText(indicesText(targets.value("layers", nlohmann::json("all"))));
  m_heads->setText(indicesText(targets.value("heads", nlohmann::json("all"))));
  const auto kinds = targets.value("kinds", nlohmann::json::array({"K", "V"}));
  m_keys->setChecked(std::find(kinds.begin(), kinds.end(), "K") != kinds.end());
  m_values->setChecked(std::find(kinds.begin(), kinds.end(), "V") != kinds.end());
  const auto lengths = spec.value("seq_lengths", nlohmann::json::array());
  m_seqLengths->setText(QString::fromStdString(joinValues(lengths)));
  const auto metrics = spec.value("metrics", nlohmann::json::object());
  m_attention->setChecked(metrics.value("attention", true));
  m_deltaPpl->setCurrentIndex(m_deltaPpl->findData(
      QString::fromStdString(metrics.value("delta_ppl", std::string("job")))));
  m_pplTokens->setValue(metrics.value("ppl_tokens", 64));
  m_device->setCurrentText(QString::fromStdString(spec.value("device", std::string("auto"))));
  m_seed->setValue(spec.value("seed", 0));

  m_methods->clear();
  std::set<std::string> listed;
  for (const auto& m : spec.value("methods", nlohmann::json::array())) {
    const auto fixed = m.value("params", nlohmann::json::object());
    const auto grid = m.value("grid", nlohmann::json::object());
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& [name, value] : fixed.items()) params.emplace_back(name, valueText(value));
    for (const auto& [name, values] : grid.items()) params.emplace_back(name, joinValues(values));
    const std::string method = m.value("method", std::string());
    addMethod(method, true, params);
    listed.insert(method);
  }
  for (const std::string& method : core::compressorMethods())
    if (!listed.contains(method)) addMethod(method, false, defaultParams(method));
  updateSummary();
}

bool SweepDialog::loadPreset(const QString& name) {
  const QString path = QDir(presetDirectory()).filePath(name + QStringLiteral(".json"));
  std::ifstream in(path.toStdString());
  const auto spec = nlohmann::json::parse(in, nullptr, false);
  if (!in.is_open() || !spec.is_object()) return false;
  setSpec(spec);
  {
    const QSignalBlocker block(m_preset);
    m_preset->setCurrentText(name);
  }
  m_preset->setToolTip(QString::fromStdString(spec.value("description", std::string())));
  return true;
}

QString SweepDialog::summary() const { return m_summary->text(); }

void SweepDialog::updateSummary() {
  m_jobs = -1;
  QString text;
  try {
    const core::SweepSpec parsed = core::parseSweepSpec(spec(), "sweep dialog");
    const auto jobs = core::planSweep(m_project, parsed);
    double seconds = 0;
    std::size_t targets = 0;
    for (const core::SweepJob& job : jobs) {
      const core::CaptureInfo& c = m_project.capture(job.capture);
      const auto count = [](const std::vector<int>& chosen, std::int64_t all) {
        return chosen.empty() ? static_cast<double>(all) : static_cast<double>(chosen.size());
      };
      const double n = count(parsed.layers, c.layers) * count(parsed.heads, c.kvHeads) *
                       static_cast<double>(parsed.kinds.size());
      targets += static_cast<std::size_t>(n);
      seconds += kJobSeconds + n * fitSeconds(job) +
                 (parsed.deltaPpl == "per_target" ? n * kPerTargetPplSeconds : 0.0);
    }
    m_jobs = static_cast<int>(jobs.size());
    text = tr("%1, %2 target fits; roughly %3 on 2 CPU cores (finished jobs of the same name "
              "and spec are skipped).")
               .arg(m_jobs == 1 ? tr("1 job") : tr("%1 jobs").arg(m_jobs))
               .arg(targets)
               .arg(durationText(seconds));
  } catch (const std::exception& e) {
    text = QString::fromStdString(e.what());
  }
  m_summary->setText(text);
  m_summary->setStyleSheet(m_jobs > 0 ? QString() : QStringLiteral("color: #b00020;"));
  m_buttons->button(QDialogButtonBox::Ok)->setEnabled(m_jobs > 0);
}

}  // namespace kvwb::widgets
