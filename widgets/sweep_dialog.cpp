// SweepDialog: the form <-> sweep JSON mapping, method rows from core::methodDescriptors(), preset
// loading, and the live plan (core::planSweep) with its size (descriptors' byte estimates) and
// time (descriptors' FLOPs at speeds timed in the background on the sweep's device).
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
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <iterator>
#include <set>
#include <stdexcept>
#include <tuple>

#include "core/compress/method_descriptor.h"
#include "core/sweep/sweep.h"
#include "gpu/device.h"
#include "widgets/cluster_dialog.h"
#include "widgets/resource_paths.h"

namespace kvwb::widgets {
namespace {

// Cancelled once the flag is set (by the dialog that started the work, when it closes).
class StopFlagContext : public core::JobContext {
 public:
  explicit StopFlagContext(std::shared_ptr<std::atomic_bool> stop) : m_stop(std::move(stop)) {}
  bool cancelled() const override { return *m_stop; }

 private:
  std::shared_ptr<std::atomic_bool> m_stop;
};

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

std::string numberText(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// "integer in [1, 65536]", "choice: token, channel, kivi", then whether it is required.
std::string paramHint(const core::ParamSpec& p) {
  std::string hint = core::paramTypeName(p.type);
  if (!p.choices.empty())
    hint += ": " + joinValues(p.choices);
  else if (std::isfinite(p.min) || std::isfinite(p.max))
    hint += " in [" + numberText(p.min) + ", " + numberText(p.max) + "]";
  if (p.required) hint += ", required";
  return hint;
}

// The default column: the declared default, "required", the parameter's oneOf group ("rank or
// ratio": exactly one of them), or "derived" (the doc says from what).
std::string defaultText(const core::MethodDescriptor& method, const core::ParamSpec& p) {
  if (!p.defaultValue.is_null()) return valueText(p.defaultValue);
  if (p.required) return "required";
  if (p.oneOf.empty()) return "derived";
  std::string group;
  for (const auto& other : method.params)
    if (other.oneOf == p.oneOf) group += (group.empty() ? "" : " or ") + other.name;
  return group;
}

// Parameter -> its values as the form shows them, from a spec's fixed params and grid.
std::map<std::string, std::string> valueTexts(const nlohmann::json& fixed,
                                              const nlohmann::json& grid) {
  std::map<std::string, std::string> texts;
  for (const auto& [name, value] : fixed.items()) texts[name] = valueText(value);
  for (const auto& [name, values] : grid.items())
    texts[name] = values.is_array() ? joinValues(values) : valueText(values);
  return texts;
}

std::string sizeText(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  std::size_t u = 0;
  for (; bytes >= 1000 && u + 1 < std::size(units); ++u) bytes /= 1000;
  return numberText(std::round(bytes * 10) / 10) + " " + units[u];
}

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
      m_quality(new QCheckBox(tr("over"))),
      m_qualityWindows(new QSpinBox),
      m_qualityTokens(new QSpinBox),
      m_qualityGreedy(new QSpinBox),
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
  m_methods->setHeaderLabels({tr("Method / parameter"), tr("Values, comma-separated"), tr("Default")});
  m_methods->setRootIsDecorated(true);
  m_methods->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  // The values column is as wide as its header at least: the header says how to fill it.
  m_methods->setColumnWidth(
      1, m_methods->header()->fontMetrics().horizontalAdvance(m_methods->headerItem()->text(1)) + 24);
  m_methods->setEditTriggers(QAbstractItemView::AllEditTriggers);
  m_methods->setToolTip(
      tr("Check the methods to run. Every combination of the listed values is a "
         "job; one value is a fixed parameter, none the method's default."));

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
  const core::WindowSpec defaults;
  m_quality->setObjectName(QStringLiteral("quality"));
  m_quality->setChecked(true);
  m_quality->setToolTip(tr("ln PPL ratio, KL divergence, same top token and greedy agreement over "
                           "windows of each capture's text, with bootstrap errors (docs/QUALITY.md)"));
  for (auto [box, value, max, suffix] :
       {std::tuple{m_qualityWindows, defaults.windows, 100000, tr(" windows")},
        std::tuple{m_qualityTokens, defaults.continuation, 1 << 20, tr(" scored")},
        std::tuple{m_qualityGreedy, defaults.greedy, 1 << 16, tr(" greedy")}}) {
    box->setRange(box == m_qualityGreedy ? 0 : 1, max);
    box->setValue(value);
    box->setSuffix(suffix);
    connect(m_quality, &QCheckBox::toggled, box, &QWidget::setEnabled);
    connect(box, &QSpinBox::valueChanged, this, &SweepDialog::updateSummary);
  }
  m_qualityWindows->setObjectName(QStringLiteral("qualityWindows"));
  m_seed->setRange(0, 1 << 30);
  m_summary->setObjectName(QStringLiteral("summary"));
  m_summary->setWordWrap(true);
  m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Run Sweep"));
  m_cluster = m_buttons->addButton(tr("Run on Cluster (Slurm)…"), QDialogButtonBox::ActionRole);
  m_cluster->setObjectName(QStringLiteral("runOnCluster"));
  m_cluster->setToolTip(tr("Write (and submit) a Slurm job array running the sweep in shards, "
                           "plus a merge job"));

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
  auto* quality = new QHBoxLayout;
  for (QWidget* w : std::initializer_list<QWidget*>{m_quality, m_qualityWindows, m_qualityTokens, m_qualityGreedy})
    quality->addWidget(w);
  quality->addStretch(1);
  form->addRow(tr("Model quality:"), quality);
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

  for (const core::MethodDescriptor* method : core::methodDescriptors())  // the first one checked
    if (!method->generated)
      addMethod(method->name, method == core::methodDescriptors().front(),
                valueTexts(nlohmann::json::object(), method->defaultGrid));

  connect(m_preset, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index > 0) loadPreset(m_preset->currentText());
  });
  connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(m_cluster, &QPushButton::clicked, this, [this] {
    auto* options = new ClusterDialog(this);
    options->setAttribute(Qt::WA_DeleteOnClose);
    connect(options, &QDialog::accepted, this, [this, options] {
      m_clusterRun = options->run();
      accept();
    });
    options->open();
  });
  connect(m_methods, &QTreeWidget::itemChanged, this, [this](QTreeWidgetItem* item) {
    if (!item->parent()) item->setExpanded(item->checkState(0) == Qt::Checked);  // its grid
    updateSummary();
  });
  connect(m_captures, &QListWidget::itemChanged, this, &SweepDialog::updateSummary);
  for (QLineEdit* edit : {m_name, m_layers, m_heads, m_seqLengths})
    connect(edit, &QLineEdit::textChanged, this, &SweepDialog::updateSummary);
  for (QCheckBox* box : {m_keys, m_values, m_attention, m_quality})
    connect(box, &QCheckBox::toggled, this, &SweepDialog::updateSummary);
  for (QComboBox* combo : {m_device, m_deltaPpl})
    connect(combo, &QComboBox::currentIndexChanged, this, &SweepDialog::updateSummary);
  connect(m_pplTokens, &QSpinBox::valueChanged, this, &SweepDialog::updateSummary);
  updateSummary();
}

QString SweepDialog::presetDirectory() { return resourceDirectory(QStringLiteral("resources/presets")); }

QTreeWidgetItem* SweepDialog::addMethod(const std::string& method, bool checked,
                                        std::map<std::string, std::string> values) {
  const QSignalBlocker block(m_methods);
  auto* item = new QTreeWidgetItem(m_methods, {QString::fromStdString(method)});
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
  item->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
  const auto addRow = [item](const std::string& name, const std::string& value,
                             const std::string& fallback, const QString& tip) {
    auto* row =
        new QTreeWidgetItem(item, {QString::fromStdString(name), QString::fromStdString(value),
                                   QString::fromStdString(fallback)});
    row->setFlags(Qt::ItemIsEnabled | Qt::ItemIsEditable);
    for (int column = 0; column < 3; ++column) row->setToolTip(column, tip);
  };
  // A method this build does not have keeps its rows: the plan then names it unknown.
  const auto& all = core::methodDescriptors();
  const auto known =
      std::find_if(all.begin(), all.end(), [&](const auto* d) { return d->name == method; });
  if (known != all.end()) {
    const core::MethodDescriptor& d = **known;
    item->setToolTip(0, QString::fromStdString(d.doc + " (" + core::familyName(d.family) + ")"));
    for (const core::ParamSpec& p : d.params) {
      const auto value = values.extract(p.name);
      addRow(p.name, value ? value.mapped() : std::string(), defaultText(d, p),
             QString::fromStdString(p.doc + "\n" + paramHint(p)));
    }
  }
  for (const auto& [name, value] : values)
    addRow(name, value, "", tr("not a parameter of %1").arg(QString::fromStdString(method)));
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
    const auto quality = m_methodQuality.find(item->text(0).toStdString());
    if (quality != m_methodQuality.end()) method["quality"] = quality->second;
    methods.push_back(method);
  }
  if (methods.empty()) throw std::invalid_argument("methods: check at least one");
  spec["methods"] = methods;
  spec["metrics"] = {{"attention", m_attention->isChecked()},
                     {"delta_ppl", m_deltaPpl->currentData().toString().toStdString()},
                     {"ppl_tokens", m_pplTokens->value()}};
  auto quality = m_qualityKept;
  quality.update({{"windows", m_qualityWindows->value()},
                  {"continuation", m_qualityTokens->value()},
                  {"greedy", m_qualityGreedy->value()}});
  spec["metrics"]["quality"] = m_quality->isChecked() ? quality : nlohmann::json("none");
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
  const auto quality = metrics.value("quality", nlohmann::json::object());
  m_quality->setChecked(quality.is_object());
  m_qualityKept = quality.is_object() ? quality : nlohmann::json::object();
  const core::WindowSpec defaults;
  m_qualityWindows->setValue(m_qualityKept.value("windows", defaults.windows));
  m_qualityTokens->setValue(m_qualityKept.value("continuation", defaults.continuation));
  m_qualityGreedy->setValue(m_qualityKept.value("greedy", defaults.greedy));
  m_device->setCurrentText(QString::fromStdString(spec.value("device", std::string("auto"))));
  m_seed->setValue(spec.value("seed", 0));

  m_methods->clear();
  m_methodQuality.clear();
  std::set<std::string> listed;
  for (const auto& m : spec.value("methods", nlohmann::json::array())) {
    const std::string method = m.value("method", std::string());
    if (m.contains("quality")) m_methodQuality[method] = m["quality"];
    addMethod(method, true,
              valueTexts(m.value("params", nlohmann::json::object()),
                         m.value("grid", nlohmann::json::object())));
    listed.insert(method);
  }
  for (const core::MethodDescriptor* method : core::methodDescriptors())
    if (!listed.contains(method->name) && !method->generated)
      addMethod(method->name, false, valueTexts(nlohmann::json::object(), method->defaultGrid));
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
    // Parsing validates every grid point against its method's descriptor (core::validateParams):
    // its message names the method and the parameter.
    const core::SweepSpec parsed = core::parseSweepSpec(spec(), "sweep dialog");
    const auto jobs = core::planSweep(m_project, parsed);
    const core::SweepSize size = core::sweepSize(m_project, parsed, jobs);
    m_jobs = size.jobs;
    const QString bytes = std::isfinite(size.bytes) && size.bytes > 0
                              ? tr("about %1 for %2 of float16 (%3×); ")
                                    .arg(QString::fromStdString(sizeText(size.bytes)),
                                         QString::fromStdString(sizeText(size.rawFloat16Bytes)))
                                    .arg(size.rawFloat16Bytes / size.bytes, 0, 'g', 3)
                              : QString();
    text = tr("%1, %2 target fits; %3%4 (finished jobs of the same name and spec are skipped).")
               .arg(m_jobs == 1 ? tr("1 job") : tr("%1 jobs").arg(m_jobs))
               .arg(static_cast<qint64>(size.targetFits))
               .arg(bytes, timeText(parsed, jobs));
  } catch (const std::exception& e) {
    text = QString::fromStdString(e.what());
  }
  m_summary->setText(text);
  m_summary->setStyleSheet(m_jobs > 0 ? QString() : QStringLiteral("color: #b00020;"));
  m_buttons->button(QDialogButtonBox::Ok)->setEnabled(m_jobs > 0);
  if (m_cluster) m_cluster->setEnabled(m_jobs > 0);
}

QString SweepDialog::timeText(const core::SweepSpec& spec, const std::vector<core::SweepJob>& jobs) {
  const std::string device = gpu::resolveDevice(spec.device);
  if (m_speed.device != device) m_speed = {};  // speeds hold for the device they were timed on
  const QString where = QString::fromStdString(gpu::describeDevice(device));
  if (!m_timingError.isEmpty()) return tr("cannot time the methods: %1").arg(m_timingError);
  if (m_speed.covers(spec))
    return tr("about %1 on %2 (from the methods timed on it)")
        .arg(durationText(core::predictSweepSeconds(m_project, spec, jobs, m_speed)), where);
  startTiming(spec);
  return tr("timing the methods on %1…").arg(where);
}

void SweepDialog::startTiming(const core::SweepSpec& spec) {
  if (m_timing) return;  // the summary is updated again when it ends, and times what is left
  m_timing = new QFutureWatcher<core::SweepSpeed>(this);
  // QtConcurrent passes on only QExceptions: the work keeps its error's message here.
  auto error = std::make_shared<std::string>();
  connect(m_timing, &QFutureWatcherBase::finished, this, [this, error] {
    m_speed = m_timing->result();
    if (!error->empty()) m_timingError = QString::fromStdString(*error);  // said, not retried
    m_timing->deleteLater();
    m_timing = nullptr;
    updateSummary();
  });
  // The work opens its own copy of the project and stops when the dialog goes away.
  m_timing->setFuture(QtConcurrent::run(
      [path = m_project.path(), spec, known = m_speed, stop = m_stopTiming, error] {
        StopFlagContext ctx(stop);
        try {
          return core::measureSweepSpeed(core::Project::open(path), spec, ctx, known);
        } catch (const std::exception& e) {
          *error = e.what();
          return known;
        }
      }));
}

SweepDialog::~SweepDialog() { *m_stopTiming = true; }

}  // namespace kvwb::widgets
