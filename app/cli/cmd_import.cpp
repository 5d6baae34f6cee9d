// kvwb-cli import: dumps -> a capture in a project (created when absent).
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/capture/capture_import.h"

namespace kvwb::cli {

void addImportCommand(CLI::App& app) {
  struct Args {
    std::vector<std::string> dumps, maps;
    std::string project, name, label;
    std::int64_t batch = -1;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("import", "Import a KV dump (" + core::dumpSuffixesText() +
                                               ", or a folder of them) as a capture");
  cmd->add_option("dumps", args->dumps, "Dump files or folders (tensors pooled by name)")
      ->required()->check(CLI::ExistingPath);
  cmd->add_option("--project,-p", args->project, "Project file (.kvw), created when absent")
      ->required();
  cmd->add_option("--name,-n", args->name, "Capture name (default: the first dump's stem)");
  cmd->add_option("--label", args->label, "Prompt type label (fiction, code, conversation, ...)");
  cmd->add_option("--batch", args->batch, "Batch row to import when the dump holds several");
  cmd->add_option("--map", args->maps,
                  "ROLE=NAME mapping (roles keys, values, queries, keys_prerope); NAME is a tensor "
                  "or dataset [layers,heads,tokens,dim] or a pattern with {layer}, e.g. "
                  "keys=model.layers.{layer}.k_cache");
  cmd->callback([args] {
    core::ImportOptions opt;
    opt.captureName = args->name;
    opt.promptLabel = args->label;
    if (args->batch >= 0) opt.layout.batch = args->batch;
    for (const auto& m : args->maps) {
      const auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        throw CLI::ValidationError("--map", "expected ROLE=NAME, got '" + m + "'");
      opt.layout.mapping[m.substr(0, eq)] = m.substr(eq + 1);
    }
    std::vector<std::filesystem::path> dumps(args->dumps.begin(), args->dumps.end());
    TerminalProgress progress("import");
    const auto info = core::importCapture(dumps, args->project, opt, progress);
    std::cout << "imported capture '" << info.name << "': " << info.layers << " layers x "
              << info.kvHeads << " KV heads x " << info.tokens << " tokens x " << info.headDim
              << " dims (" << info.storageDtype << (info.hasQueries ? ", with queries" : "")
              << (info.hasKeysPreRope ? ", with pre-RoPE keys" : "") << ") into " << args->project
              << "\n";
  });
}

}  // namespace kvwb::cli
