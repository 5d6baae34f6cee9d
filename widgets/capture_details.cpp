// CaptureDetails: two forms (layout, metadata) over a read-only pretty-printed JSON view.
#include "widgets/capture_details.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QVBoxLayout>
#include <array>
#include <nlohmann/json.hpp>

namespace kvwb::widgets {
namespace {

struct MetaField {
  const char* key;
  const char* label;
};
// The metadata keys shown as fields; everything else is in the JSON view.
constexpr std::array<MetaField, 6> kMetaFields = {{
    {"model", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "Model")},
    {"prompt_label", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "Prompt")},
    {"rope_theta", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "RoPE θ")},
    {"source_files", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "Source files")},
    {"source_dtype", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "Source dtype")},
    {"imported", QT_TRANSLATE_NOOP("kvwb::widgets::CaptureDetails", "Imported")},
}};

// A JSON value as plain text: strings unquoted, arrays one item per line, objects by their "id" or
// "name" when they have one.
QString displayText(const nlohmann::json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_array()) {
    QStringList items;
    for (const auto& item : v) items << displayText(item);
    return items.join(QLatin1Char('\n'));
  }
  if (v.is_object()) {
    for (const char* key : {"id", "name"})
      if (v.contains(key)) return displayText(v[key]);
  }
  return QString::fromStdString(v.dump());
}

QString byteSize(double bytes) {
  return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1,
                                     QLocale::DataSizeTraditionalFormat);
}

}  // namespace

CaptureDetails::CaptureDetails(QWidget* parent) : QWidget(parent) {
  m_hint = new QLabel(tr("Select a capture in the project explorer."));
  m_hint->setAlignment(Qt::AlignCenter);
  m_hint->setEnabled(false);

  m_title = new QLabel;
  QFont big = m_title->font();
  big.setBold(true);
  big.setPointSizeF(big.pointSizeF() * 1.25);
  m_title->setFont(big);
  m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* layoutBox = new QGroupBox(tr("Layout"));
  m_layoutForm = new QFormLayout(layoutBox);
  m_shape = addField(m_layoutForm, tr("Shape (L×H×T×D)"));
  m_heads = addField(m_layoutForm, tr("Heads"));
  m_tensors = addField(m_layoutForm, tr("Tensors"));
  m_storage = addField(m_layoutForm, tr("Storage"));

  auto* metaBox = new QGroupBox(tr("Metadata"));
  m_metaForm = new QFormLayout(metaBox);
  for (const auto& f : kMetaFields)
    m_metaFields.emplace_back(f.key, addField(m_metaForm, tr(f.label)));

  m_json = new QPlainTextEdit;
  m_json->setReadOnly(true);
  m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
  m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  auto* jsonBox = new QGroupBox(tr("All metadata (JSON)"));
  auto* jsonLayout = new QVBoxLayout(jsonBox);
  jsonLayout->addWidget(m_json);

  m_body = new QWidget;
  auto* body = new QVBoxLayout(m_body);
  body->setContentsMargins(0, 0, 0, 0);
  body->addWidget(m_title);
  body->addWidget(layoutBox);
  body->addWidget(metaBox);
  body->addWidget(jsonBox, 1);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_hint);
  layout->addWidget(m_body);
  clear();
}

QLabel* CaptureDetails::addField(QFormLayout* form, const QString& label) {
  auto* field = new QLabel;
  field->setWordWrap(true);
  field->setTextInteractionFlags(Qt::TextSelectableByMouse);
  form->addRow(label, field);
  return field;
}

void CaptureDetails::setMetaField(QLabel* field, const QString& text) {
  field->setText(text);
  m_metaForm->setRowVisible(field, !text.isEmpty());
}

void CaptureDetails::showCapture(const core::CaptureInfo& c) {
  m_title->setText(QString::fromStdString(c.name));
  m_shape->setText(
      tr("%1 × %2 × %3 × %4").arg(c.layers).arg(c.kvHeads).arg(c.tokens).arg(c.headDim));
  const auto group = c.kvHeads > 0 ? c.queryHeads / c.kvHeads : 0;
  m_heads->setText(c.queryHeads > c.kvHeads
                       ? tr("%1 KV heads, %2 query heads (GQA, %3 per KV head)")
                             .arg(c.kvHeads)
                             .arg(c.queryHeads)
                             .arg(group)
                       : tr("%1 KV heads, %2 query heads").arg(c.kvHeads).arg(c.queryHeads));
  QStringList tensors = {tr("keys"), tr("values")};
  if (c.hasQueries) tensors << tr("queries");
  if (c.hasKeysPreRope) tensors << tr("keys before RoPE");
  m_tensors->setText(tensors.join(QStringLiteral(", ")));
  const double elementBytes = c.storageDtype == "float16" ? 2.0 : 4.0;
  const double perKind =
      elementBytes * static_cast<double>(c.layers * c.kvHeads * c.tokens * c.headDim);
  m_storage->setText(tr("%1, %2 per K/V tensor, %3 per target (T×D)")
                         .arg(QString::fromStdString(c.storageDtype), byteSize(perKind),
                              byteSize(elementBytes * static_cast<double>(c.tokens * c.headDim))));

  const auto meta = nlohmann::json::parse(c.metadataJson, nullptr, false);
  for (const auto& [key, field] : m_metaFields)
    setMetaField(field,
                 meta.is_object() && meta.contains(key) ? displayText(meta[key]) : QString());
  m_json->setPlainText(meta.is_discarded() ? QString::fromStdString(c.metadataJson)
                                           : QString::fromStdString(meta.dump(2)));
  m_hint->hide();
  m_body->show();
}

void CaptureDetails::clear() {
  m_body->hide();
  m_hint->show();
}

}  // namespace kvwb::widgets
