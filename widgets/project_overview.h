// The Overview tab, the project's front page: its captures (shape, prompt type, model, analysed or
// not), its runs (status, results and the best of them) and what to do next, as links that open
// a capture's atlas, a run's results or the step to take. Rebuilt when the project changes, lazily
// while hidden. GUI thread only.
#pragma once

#include <QTextBrowser>

namespace kvwb::widgets {

class ProjectSession;

class ProjectOverview : public QTextBrowser {
  Q_OBJECT

 public:
  explicit ProjectOverview(const ProjectSession& session, QWidget* parent = nullptr);

  // Shows the session's project as it is now (now when visible, else when next shown).
  void refresh();

  // Cosine similarity a run's job must keep for "highest ratio at cos ≥ …".
  static constexpr double kGoodCosine = 0.99;

 Q_SIGNALS:
  void captureClicked(const QString& capture);
  void runClicked(const QString& runId);
  // "import", "extract", "analyze" or "sweep": the next step the user clicked.
  void actionClicked(const QString& action);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void rebuild();
  const ProjectSession& m_session;
  bool m_stale = true;
};

}  // namespace kvwb::widgets
