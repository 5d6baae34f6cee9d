// Which tokens a sweep job hurts (issue 15): the job's quality windows, each its context in grey
// and then its scored tokens shaded by KL divergence or ΔNLL (damage_figure.h), with a colour bar;
// hovering a token shows its values, clicking it shows the top-5 next tokens with and without
// compression in the side panel; the worst tokens listed, a click scrolls to one; the figure
// exports like every plot. GUI thread only; showJob() measures as a job of the given JobRunner
// (on the device lane when it runs on a GPU) and takes the result by value.
#pragma once

#include <QWidget>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/sweep/job_damage.h"
#include "widgets/damage_data.h"
#include "widgets/damage_figure.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;
class QTreeWidget;
#include "widgets/view_job.h"

namespace kvwb::widgets {


class DamageView : public QWidget {
  Q_OBJECT

 public:
  // `jobs` runs the measurement; it must outlive this view.
  explicit DamageView(JobRunner& jobs, QWidget* parent = nullptr);

  void setDevice(const std::string& device) { m_job->setDevice(device); }  // "auto" by default
  // Measures the job whose key starts with `jobKey` in `project` as a background job (cancelling
  // one in flight), then shows it; emits damageShown or failed. Returns the job id, or -1.
  int showJob(const std::filesystem::path& project, const std::string& jobKey);
  void setDamage(core::JobDamage damage);  // shows an already measured job
  const core::JobDamage* damage() const { return m_damage ? &*m_damage : nullptr; }
  bool busy() const;

  void setMode(DamageMode mode);
  DamageMode mode() const { return m_mode; }
  void setShownWindow(int window);  // -1: every window
  int shownWindow() const { return m_window; }
  // Shows the token's details and scrolls to it (showing every window when its own is hidden).
  void selectToken(int window, int index);
  std::optional<std::pair<int, int>> selectedToken() const { return m_selected; }

  // The token as drawn: its text in the document, its shading, where it is in the text view's
  // viewport (empty while not shown).
  QString tokenText(int window, int index) const;
  QColor tokenColour(int window, int index) const;
  QRect tokenRect(int window, int index) const;
  const std::vector<TokenSpan>& spans() const { return m_spans; }

  DamageFigure figure() const { return {damage(), m_mode, m_window}; }
  bool exportFigure(const QString& path, const FigureOptions& options,
                    QString* error = nullptr) const;

  QTextBrowser* textView() const { return m_text; }
  QTextBrowser* detailsView() const { return m_details; }
  QTreeWidget* worstList() const { return m_worst; }
  static constexpr int kWorstShown = 20;

 Q_SIGNALS:
  void damageShown();
  void failed(const QString& message);

 private:
  void rebuild();      // the legend, the window list, the worst list and the text
  void rebuildText();  // the document of the shown windows and the selection in it
  void fillWorstList();
  void showSelection();  // the selected token highlighted and its details in the side panel
  const TokenSpan* spanOf(int window, int index) const;
  void exportInteractively();

  ViewJob* m_job;  // its cancel, progress and failure show in m_status
  std::optional<core::JobDamage> m_damage;
  DamageMode m_mode = DamageMode::Kl;
  int m_window = -1;
  std::optional<std::pair<int, int>> m_selected;
  std::vector<TokenSpan> m_spans;
  QLabel* m_title;
  QLabel* m_stats;
  QLabel* m_status;
  QComboBox* m_modeBox;
  QComboBox* m_windowBox;
  QWidget* m_legend;
  QPushButton* m_export;
  QTextBrowser* m_text;
  QTextBrowser* m_details;
  QLabel* m_worstTitle;
  QTreeWidget* m_worst;
};

}  // namespace kvwb::widgets
