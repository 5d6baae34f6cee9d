// kvwb-cli methods: every registered compression method with its family, parameters (type,
// default, range or choices, meaning), needs and the sweep dialog's default grid.
#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "core/compress/method_docs.h"

namespace kvwb::cli {

void addMethodsCommand(CLI::App& app) {
  struct Args {
    bool json = false, markdown = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("methods", "List the compression methods and their parameters");
  cmd->add_flag("--json", args->json, "As JSON (for scripts)");
  cmd->add_flag("--markdown", args->markdown, "As the markdown tables of docs/SWEEPS.md");
  cmd->callback([args] {
    if (args->json)
      std::cout << core::methodsJson().dump(2) << "\n";
    else if (args->markdown)
      core::writeMethodsMarkdown(std::cout);
    else
      core::writeMethodsText(std::cout);
  });
}

}  // namespace kvwb::cli
