// kvwb-cli info and compact: list a project's captures and runs; fold the run journal in.
#include <iostream>

#include "app/cli/commands.h"
#include "core/project/project.h"
#include "core/project/run_journal.h"

namespace kvwb::cli {

void addInfoCommand(CLI::App& app) {
  auto project = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("info", "List a project's captures (shapes) and runs");
  cmd->add_option("project", *project, "Project file (.kvw)")->required();
  cmd->callback([project] {
    const auto p = core::Project::open(*project);
    std::cout << *project << ": " << p.captures().size() << " capture(s)\n";
    for (const auto& c : p.captures()) {
      std::cout << "  " << c.name << "  K/V [" << c.layers << ", " << c.kvHeads << ", "
                << c.tokens << ", " << c.headDim << "] " << c.storageDtype;
      if (c.hasQueries) std::cout << "  Q [" << c.layers << ", " << c.queryHeads << ", " << c.tokens << ", " << c.headDim << "]";
      if (c.hasKeysPreRope) std::cout << "  +pre-RoPE K";
      std::cout << "\n";
    }
    const auto runs = p.runs();
    std::cout << runs.size() << " run(s)\n";
    for (const auto& r : runs)
      std::cout << "  " << r.id << "  " << r.method << "  capture=" << r.capture << "  "
                << r.status << "  " << r.resultCount << " result(s)\n";
  });
}

void addCompactCommand(CLI::App& app) {
  auto project = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "compact", "Fold the run journal (P.kvw-journal) into the project file, atomically");
  cmd->add_option("project", *project, "Project file (.kvw)")->required()->check(CLI::ExistingFile);
  cmd->callback([project] {
    core::ProjectEdit edit(*project);
    const auto damage = edit.journalDamage();
    edit.commit();
    std::cout << "compacted " << *project << "\n";
    for (const auto& lost : damage)
      std::cerr << "kvwb-cli: warning: " << core::journalPath(*project).string() << ": " << lost
                << " (the journal is kept)\n";
  });
}

}  // namespace kvwb::cli
