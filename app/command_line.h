// The GUI's command line: `kvwb [PROJECT] [--screenshot FILE] [--select LAYER,HEAD[,KIND]]
// [--export-figures DIR [--format pdf|svg|png]]`. Parsed
// on the GUI thread after QApplication exists (QCommandLineParser handles --help/--version and
// exits).
#pragma once

#include <QString>
#include <array>
#include <optional>

class QCoreApplication;

namespace kvwb::app {

struct CommandLine {
  QString projectPath;     // empty: start without a project
  QString screenshotPath;  // non-empty: open, grab the main window to this PNG, exit
  // --select: the atlas target shown first (kind indexes the analysis' kinds: 0 K, 1 V); empty
  // when not given.
  std::optional<std::array<int, 3>> target;
  QString figureDir;                  // non-empty: write the project's figure set here, exit
  QString figureFormat = QStringLiteral("pdf");  // --format of the figure set
};

CommandLine parseCommandLine(const QCoreApplication& app);

}  // namespace kvwb::app
