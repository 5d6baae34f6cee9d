// kvwb: the KV Workbench GUI. `kvwb [PROJECT] [--screenshot FILE] [--select L,H[,K]]`, or headless
// `kvwb --export-figures DIR [--format pdf|svg|png] PROJECT`. GUI thread only.
#include <QApplication>
#include <QTimer>
#include <cstdio>

#include "app/command_line.h"
#include "app/main_window.h"
#include "gpu/device.h"
#include "widgets/atlas_view.h"
#include "widgets/figure_set.h"

namespace {

constexpr int kLayoutSettleMs = 300;  // lets the docks lay out before a screenshot

// --export-figures: writes the figure set, prints each file written (notes go to stderr).
int exportFigures(const kvwb::app::CommandLine& cl) {
  kvwb::core::JobContext ctx;
  try {
    const auto result = kvwb::widgets::exportFigureSet(
        cl.projectPath.toStdString(), cl.figureDir, kvwb::widgets::figureFormat(cl.figureFormat),
        {}, ctx);
    for (const QString& file : result.files) std::printf("%s\n", qPrintable(file));
    for (const QString& note : result.notes) std::fprintf(stderr, "kvwb: %s\n", qPrintable(note));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvwb: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  kvwb::gpu::configureHost();  // before anything computes or shows the device
  QApplication::setOrganizationName(QStringLiteral("kvworkbench"));
  QApplication::setApplicationName(QStringLiteral("kvwb"));
  QApplication::setApplicationDisplayName(QStringLiteral("KV Workbench"));
  QApplication::setApplicationVersion(QStringLiteral(KVWB_VERSION));
  const kvwb::app::CommandLine cl = kvwb::app::parseCommandLine(app);
  if (!cl.figureDir.isEmpty()) return exportFigures(cl);

  kvwb::app::MainWindow window;
  const bool batch = !cl.screenshotPath.isEmpty();
  if (batch)
    window.resize(1600, 1000);
  else
    window.restoreLayout();
  const bool opened = cl.projectPath.isEmpty() || window.openProject(cl.projectPath);
  if (batch && !opened) return 1;  // the error was logged
  if (cl.target) {
    auto* atlas = window.findChild<kvwb::widgets::AtlasView*>();
    const auto [layer, head, kind] = *cl.target;
    if (atlas && atlas->atlas()->contains({layer, head, kind})) {
      atlas->selectTarget({layer, head, kind});
      window.openAtlas(QString::fromStdString(atlas->atlas()->analysis().capture));  // in front
    }
    else
      std::fprintf(stderr, "kvwb: --select: no such target in an opened atlas\n");
  }
  window.show();
  if (batch) {
    QTimer::singleShot(kLayoutSettleMs, &window, [&] {
      const bool saved = window.grab().save(cl.screenshotPath, "PNG");
      if (!saved) std::fprintf(stderr, "kvwb: cannot write %s\n", qPrintable(cl.screenshotPath));
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return QApplication::exec();
}
