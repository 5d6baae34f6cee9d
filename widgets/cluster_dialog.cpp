// ClusterDialog: a form over core::SlurmOptions, remembered across sessions in QSettings.
#include "widgets/cluster_dialog.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace kvwb::widgets {
namespace {

constexpr int kMaxTasks = 100000;  // as kvwb-cli slurm --tasks
constexpr int kMaxGpus = 64;

QString key(const char* name) { return QStringLiteral("cluster/") + QLatin1String(name); }

}  // namespace

QString ClusterDialog::defaultCli() {
  const QDir here(QCoreApplication::applicationDirPath());
  for (const QString& candidate : {here.filePath(QStringLiteral("cli/kvwb-cli")),
                                   here.filePath(QStringLiteral("kvwb-cli")),
                                   here.filePath(QStringLiteral("../app/cli/kvwb-cli"))})
    if (QFileInfo(candidate).isExecutable()) return QFileInfo(candidate).canonicalFilePath();
  return QStandardPaths::findExecutable(QStringLiteral("kvwb-cli"));
}

ClusterDialog::ClusterDialog(QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Run on Cluster (Slurm)"));
  const QSettings settings;
  m_tasks = new QSpinBox;
  m_tasks->setObjectName(QStringLiteral("tasks"));
  m_tasks->setRange(1, kMaxTasks);
  m_tasks->setValue(settings.value(key("tasks"), 4).toInt());
  m_gpus = new QSpinBox;
  m_gpus->setObjectName(QStringLiteral("gpusPerTask"));
  m_gpus->setRange(0, kMaxGpus);
  m_gpus->setValue(settings.value(key("gpusPerTask"), 0).toInt());
  m_gpus->setSpecialValueText(tr("none (CPU tasks)"));
  m_partition = new QLineEdit(settings.value(key("partition")).toString());
  m_partition->setPlaceholderText(tr("the cluster's default"));
  m_time = new QLineEdit(settings.value(key("time")).toString());
  m_time->setPlaceholderText(tr("the partition's default, e.g. 04:00:00"));
  m_cli = new QLineEdit(defaultCli());
  m_cli->setObjectName(QStringLiteral("cli"));
  m_cli->setToolTip(tr("The kvwb-cli the tasks run: it must be reachable at this path on the nodes"));
  m_submit = new QCheckBox(tr("Submit now with sbatch and follow the tasks in the Jobs panel"));
  m_submit->setObjectName(QStringLiteral("submit"));
  m_submit->setChecked(settings.value(key("submit"), true).toBool());

  auto* form = new QFormLayout;
  form->addRow(tr("Array tasks (shards)"), m_tasks);
  form->addRow(tr("GPUs per task"), m_gpus);
  form->addRow(tr("Partition"), m_partition);
  form->addRow(tr("Time limit per task"), m_time);
  form->addRow(tr("kvwb-cli on the nodes"), m_cli);
  auto* note = new QLabel(tr("Each task runs one shard of the sweep into a file beside the project; a "
                             "merge job that depends on the array folds them into the project. "
                             "The scripts (in a .slurm folder beside the project) can be edited "
                             "for your site."));
  note->setWordWrap(true);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    QSettings remembered;
    remembered.setValue(key("tasks"), m_tasks->value());
    remembered.setValue(key("gpusPerTask"), m_gpus->value());
    remembered.setValue(key("partition"), m_partition->text());
    remembered.setValue(key("time"), m_time->text());
    remembered.setValue(key("submit"), m_submit->isChecked());
    accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(note);
  layout->addLayout(form);
  layout->addWidget(m_submit);
  layout->addWidget(buttons);
}

ClusterRun ClusterDialog::run() const {
  ClusterRun run;
  run.options.tasks = m_tasks->value();
  run.options.gpusPerTask = m_gpus->value();
  run.options.partition = m_partition->text().trimmed().toStdString();
  run.options.time = m_time->text().trimmed().toStdString();
  run.options.cli = m_cli->text().trimmed().toStdString();
  run.submit = m_submit->isChecked();
  return run;
}

}  // namespace kvwb::widgets
