// Extraction dialog (see extract_dialog.h).
#include "widgets/extract_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "widgets/resource_paths.h"

namespace kvwb::widgets {

ExtractDialog::ExtractDialog(std::set<std::string> taken, QWidget* parent)
    : QDialog(parent),
      m_model(new QLineEdit),
      m_text(new QComboBox),
      m_tokens(new QSpinBox),
      m_start(new QSpinBox),
      m_name(new QLineEdit),
      m_label(new QLineEdit),
      m_device(new QComboBox),
      m_taken(std::move(taken)) {
  setWindowTitle(tr("Extract KV Cache from a Model"));
  const QString datasets = resourceDirectory(QStringLiteral("datasets"));
  if (!datasets.isEmpty()) m_model->setText(QDir(datasets).filePath(QStringLiteral("stories260K-hf")));
  m_model->setToolTip(tr("A Hugging Face folder (config.json, model.safetensors, tokenizer.json) "
                         "or a llama2.c .bin checkpoint"));
  auto* browseModel = new QPushButton(tr("Folder…"));
  auto* browseBin = new QPushButton(tr(".bin…"));
  connect(browseModel, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model folder"), m_model->text());
    if (!dir.isEmpty()) m_model->setText(dir);
  });
  connect(browseBin, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("llama2.c checkpoint"), m_model->text(),
                                                      tr("llama2.c checkpoints (*.bin)"));
    if (!file.isEmpty()) m_model->setText(file);
  });
  auto* modelRow = new QHBoxLayout;
  modelRow->addWidget(m_model, 1);
  modelRow->addWidget(browseModel);
  modelRow->addWidget(browseBin);

  const QString texts = resourceDirectory(QStringLiteral("resources/texts"));
  for (const QFileInfo& f : QDir(texts).entryInfoList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name))
    m_text->addItem(f.completeBaseName(), f.absoluteFilePath());
  auto* browseText = new QPushButton(tr("Other…"));
  connect(browseText, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("Prompt text (UTF-8)"));
    if (file.isEmpty()) return;
    m_text->addItem(QFileInfo(file).completeBaseName(), file);
    m_text->setCurrentIndex(m_text->count() - 1);
  });
  connect(m_text, &QComboBox::currentIndexChanged, this, &ExtractDialog::textChosen);
  auto* textRow = new QHBoxLayout;
  textRow->addWidget(m_text, 1);
  textRow->addWidget(browseText);

  m_tokens->setRange(2, 1 << 20);
  m_tokens->setValue(512);
  m_tokens->setToolTip(tr("Window length in tokens, BOS included; the text is never repeated"));
  m_start->setRange(0, 1 << 24);
  m_device->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});

  auto* form = new QFormLayout;
  form->addRow(tr("Model"), modelRow);
  form->addRow(tr("Prompt text"), textRow);
  form->addRow(tr("Tokens"), m_tokens);
  form->addRow(tr("Start token"), m_start);
  form->addRow(tr("Capture name"), m_name);
  form->addRow(tr("Prompt type"), m_label);
  form->addRow(tr("Device"), m_device);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Extract"));
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons);
  textChosen();
}

void ExtractDialog::textChosen() {
  const QString type = m_text->currentText();
  QString name = type;
  for (int n = 2; m_taken.contains(name.toStdString()); ++n)
    name = QStringLiteral("%1-%2").arg(type).arg(n);
  m_name->setText(name);
  m_label->setText(type);
}

core::ExtractOptions ExtractDialog::options() const {
  core::ExtractOptions o;
  o.model = m_model->text().toStdString();
  o.textFile = m_text->currentData().toString().toStdString();
  o.tokens = m_tokens->value();
  o.startToken = m_start->value();
  o.captureName = m_name->text().trimmed().toStdString();
  o.promptLabel = m_label->text().trimmed().toStdString();
  o.device = m_device->currentText().toStdString();
  return o;
}

}  // namespace kvwb::widgets
