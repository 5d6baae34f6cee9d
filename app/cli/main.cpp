// kvwb-cli: the headless KV Workbench (import, info, export, extract, generate, ...).
// Exit codes: 0 ok, 1 bad input (message names the file), 2 usage, 3 merged but incomplete
// (kIncompleteExit), 130 cancelled (Ctrl-C).
#include <iostream>

#include "app/cli/commands.h"
#include "core/base/errors.h"
#include "gpu/device.h"

int main(int argc, char** argv) {
  CLI::App app{"KV Workbench command line: KV cache projects, analyses and compression sweeps",
               "kvwb-cli"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kvwb-cli ") + KVWB_VERSION);
  kvwb::cli::addImportCommand(app);
  kvwb::cli::addInfoCommand(app);
  kvwb::cli::addExportCommand(app);
  kvwb::cli::addCompactCommand(app);
  kvwb::cli::addGenerateCommand(app);
  kvwb::cli::addExtractCommand(app);
  kvwb::cli::addAnalyzeCommand(app);
  kvwb::cli::addReportCommand(app);
  kvwb::cli::addSweepCommand(app);
  kvwb::cli::addSummaryCommand(app);
  kvwb::cli::addMethodsCommand(app);
  kvwb::cli::addDecodeCostCommand(app);
  kvwb::cli::addMergeCommand(app);
  kvwb::cli::addSlurmCommand(app);
  kvwb::cli::addStatusCommand(app);
  kvwb::cli::addQualityCommand(app);
  kvwb::cli::addDamageCommand(app);
  kvwb::cli::addKeepMapCommand(app);
  kvwb::cli::addAllocateCommand(app);
  kvwb::cli::addPrecisionBoundCommand(app);
  kvwb::gpu::configureHost();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kvwb::core::Cancelled&) {
    std::cerr << "\nkvwb-cli: cancelled; the project is unchanged by the interrupted step\n";
    return 130;
  } catch (const kvwb::core::InputError& e) {
    std::cerr << "kvwb-cli: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "kvwb-cli: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
