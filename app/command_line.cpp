// parseCommandLine: QCommandLineParser rather than CLI11 here, because it also knows Qt's own
// options (-platform, -style, ...) that QApplication has already taken out of argv.
#include "app/command_line.h"

#include <QCommandLineParser>
#include <QCoreApplication>

namespace kvwb::app {

CommandLine parseCommandLine(const QCoreApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QCoreApplication::translate("kvwb", "KV Workbench: study and compress LLM KV caches."));
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("project"),
                               QCoreApplication::translate("kvwb", "Project file (.kvw) to open."),
                               QStringLiteral("[PROJECT]"));
  const QCommandLineOption screenshot(
      QStringLiteral("screenshot"),
      QCoreApplication::translate("kvwb", "Grab the main window to the PNG <file> and exit."),
      QStringLiteral("file"));
  parser.addOption(screenshot);
  parser.process(app);

  CommandLine cl;
  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) parser.showHelp(1);
  if (!positional.isEmpty()) cl.projectPath = positional.front();
  cl.screenshotPath = parser.value(screenshot);
  return cl;
}

}  // namespace kvwb::app
