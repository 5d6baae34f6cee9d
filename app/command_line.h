// The GUI's command line: `kvwb [PROJECT] [--screenshot FILE]`. Parsed on the GUI thread after
// QApplication exists (QCommandLineParser handles --help/--version and exits).
#pragma once

#include <QString>

class QCoreApplication;

namespace kvwb::app {

struct CommandLine {
  QString projectPath;     // empty: start without a project
  QString screenshotPath;  // non-empty: open, grab the main window to this PNG, exit
};

CommandLine parseCommandLine(const QCoreApplication& app);

}  // namespace kvwb::app
