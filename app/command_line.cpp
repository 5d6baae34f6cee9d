// parseCommandLine: QCommandLineParser rather than CLI11 here, because it also knows Qt's own
// options (-platform, -style, ...) that QApplication has already taken out of argv.
#include "app/command_line.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <cstdio>
#include <cstdlib>

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
  const QCommandLineOption select(
      QStringLiteral("select"),
      QCoreApplication::translate("kvwb",
                                  "Select the atlas target LAYER,HEAD[,KIND] (KIND 0 = K, "
                                  "1 = V) of the first capture."),
      QStringLiteral("target"));
  parser.addOption(select);
  const QCommandLineOption exportFigures(
      QStringLiteral("export-figures"),
      QCoreApplication::translate("kvwb",
                                  "Write the project's figure set into <dir>, print the files "
                                  "written and exit (no window)."),
      QStringLiteral("dir"));
  parser.addOption(exportFigures);
  const QCommandLineOption format(
      QStringLiteral("format"),
      QCoreApplication::translate("kvwb", "Figure format for --export-figures: pdf, svg or png."),
      QStringLiteral("format"), QStringLiteral("pdf"));
  parser.addOption(format);
  parser.process(app);

  CommandLine cl;
  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) parser.showHelp(1);
  if (!positional.isEmpty()) cl.projectPath = positional.front();
  cl.screenshotPath = parser.value(screenshot);
  cl.figureDir = parser.value(exportFigures);
  cl.figureFormat = parser.value(format).toLower();
  if (cl.figureFormat != QLatin1String("pdf") && cl.figureFormat != QLatin1String("svg") &&
      cl.figureFormat != QLatin1String("png")) {
    std::fprintf(stderr, "kvwb: --format wants pdf, svg or png, got '%s'\n",
                 qPrintable(cl.figureFormat));
    std::exit(2);
  }
  if (!cl.figureDir.isEmpty() && cl.projectPath.isEmpty()) {
    std::fprintf(stderr, "kvwb: --export-figures needs a PROJECT\n");
    std::exit(2);
  }
  if (parser.isSet(select)) {
    const QStringList parts = parser.value(select).split(QLatin1Char(','));
    std::array<int, 3> target{0, 0, 0};
    bool valid = parts.size() == 2 || parts.size() == 3;
    for (qsizetype i = 0; valid && i < parts.size(); ++i) {
      target[static_cast<std::size_t>(i)] = parts[i].toInt(&valid);
      valid = valid && target[static_cast<std::size_t>(i)] >= 0;
    }
    if (!valid) {
      std::fprintf(stderr, "kvwb: --select wants LAYER,HEAD[,KIND], got '%s'\n",
                   qPrintable(parser.value(select)));
      std::exit(2);
    }
    cl.target = target;
  }
  return cl;
}

}  // namespace kvwb::app
