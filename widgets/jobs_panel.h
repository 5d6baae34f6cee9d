// The jobs dock's content: one row per job of a JobRunner (title, progress bar, what the job is
// doing, ETA, cancel button), finished rows kept until "Clear finished". GUI thread only.
#pragma once

#include <QTimer>
#include <QWidget>
#include <map>

class QFrame;
class QLabel;
class QProgressBar;
class QPushButton;
class QToolButton;
class QVBoxLayout;

namespace kvwb::widgets {

class JobRunner;

class JobsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit JobsPanel(JobRunner& runner, QWidget* parent = nullptr);

 private:
  struct Row {
    QFrame* frame;
    QLabel* title;
    QProgressBar* bar;
    QLabel* detail;
    QToolButton* cancel;
  };
  void addRow(int id);
  void updateRow(int id);
  void clearFinished();

  JobRunner& m_runner;
  QVBoxLayout* m_list;
  QLabel* m_empty;
  QPushButton* m_clear;
  QTimer m_etaTimer;  // refreshes ETAs once a second while jobs run
  std::map<int, Row> m_rows;
};

}  // namespace kvwb::widgets
