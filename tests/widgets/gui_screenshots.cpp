// gui_screenshots PROJECT OUT_DIR [PRESET]: grabs the main window with the Results tab of the
// project's latest sweep (OUT_DIR/pareto.png), its per-job summary tab (OUT_DIR/summary.png), the
// parallel-coordinates plot (OUT_DIR/parallel.png) and the New Sweep dialog with PRESET (default
// demo) loaded (OUT_DIR/sweep_dialog.png), offscreen. For docs/screenshots.
#include <QApplication>
#include <QDir>
#include <QTabWidget>
#include <QTest>
#include <cstdio>

#include "app/main_window.h"
#include "widgets/plots/line_plot.h"
#include "widgets/results_view.h"
#include "widgets/sweep_dialog.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: gui_screenshots PROJECT OUT_DIR [PRESET]\n");
    return 2;
  }
  const QDir out(QString::fromLocal8Bit(argv[2]));
  kvwb::app::MainWindow window;
  window.resize(1600, 1000);
  if (!window.openProject(QString::fromLocal8Bit(argv[1])) || !window.openResults()) return 1;
  window.show();
  QTest::qWait(400);  // docks and plots lay out
  bool saved = window.grab().save(out.filePath(QStringLiteral("pareto.png")), "PNG");
  auto* parallel = window.findChild<kvwb::widgets::ResultsView*>()->parallelPlot();
  saved = parallel->grab().save(out.filePath(QStringLiteral("parallel.png")), "PNG") && saved;
  for (auto* tabs : window.findChild<kvwb::widgets::ResultsView*>()->findChildren<QTabWidget*>())
    for (int i = 0; i < tabs->count(); ++i)
      if (tabs->tabText(i) == QStringLiteral("Per job")) tabs->setCurrentIndex(i);
  QTest::qWait(200);
  saved = window.grab().save(out.filePath(QStringLiteral("summary.png")), "PNG") && saved;
  kvwb::widgets::SweepDialog dialog(*window.projectModel().project(), &window);
  dialog.loadPreset(argc > 3 ? QString::fromLocal8Bit(argv[3]) : QStringLiteral("demo"));
  dialog.show();
  QTest::qWait(300);
  saved = dialog.grab().save(out.filePath(QStringLiteral("sweep_dialog.png")), "PNG") && saved;
  if (!saved) std::fprintf(stderr, "gui_screenshots: cannot write into %s\n", argv[2]);
  return saved ? 0 : 1;
}
