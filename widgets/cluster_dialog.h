// "Run on Cluster (Slurm)": the Slurm options of a sweep run as a job array of shards plus a merge
// job (core::SlurmOptions: tasks, GPUs per task, partition, time limit, the kvwb-cli the tasks
// run) and whether to submit the scripts now or only write them. GUI thread only.
#pragma once

#include <QDialog>

#include "core/sweep/slurm.h"

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace kvwb::widgets {

// A sweep to run on the cluster: how, and whether to submit it now or only write its scripts.
struct ClusterRun {
  core::SlurmOptions options;
  bool submit = true;
};

class ClusterDialog : public QDialog {
  Q_OBJECT

 public:
  explicit ClusterDialog(QWidget* parent = nullptr);

  ClusterRun run() const;

  // The kvwb-cli to run on the nodes: beside this program (build tree or install), else on PATH;
  // empty when there is none.
  static QString defaultCli();

 private:
  QSpinBox* m_tasks;
  QSpinBox* m_gpus;
  QLineEdit* m_partition;
  QLineEdit* m_time;
  QLineEdit* m_cli;
  QCheckBox* m_submit;
};

}  // namespace kvwb::widgets
