// The GUI's command line: `kvwb [PROJECT] [--screenshot FILE] [--select LAYER,HEAD[,KIND]]`. Parsed
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
};

CommandLine parseCommandLine(const QCoreApplication& app);

}  // namespace kvwb::app
