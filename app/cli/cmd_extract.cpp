// kvwb-cli extract: run a real checkpoint over a text window and store its KV cache as a capture.
#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/capture/capture_extract.h"

namespace kvwb::cli {

void addExtractCommand(CLI::App& app) {
  auto o = std::make_shared<core::ExtractOptions>();
  auto project = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "extract", "Run a Llama-family checkpoint over a text and store K, pre-RoPE K, V, Q");
  cmd->add_option("--model,-m", o->model, "HF folder (config.json, safetensors) or llama2.c .bin")
      ->required()->check(CLI::ExistingPath);
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer.json or tok*.bin (default: beside the model)");
  cmd->add_option("--text,-t", o->textFile, "UTF-8 prompt text")->required()->check(CLI::ExistingFile);
  cmd->add_option("--tokens,-n", o->tokens, "Window length in tokens, BOS included")
      ->capture_default_str();
  cmd->add_option("--start", o->startToken, "Window start (token index in the text)")
      ->capture_default_str();
  cmd->add_option("--project,-p", *project, "Project file (.kvw), created when absent")->required();
  cmd->add_option("--name", o->captureName, "Capture name (default: the text file's stem)");
  cmd->add_option("--label", o->promptLabel, "Prompt type (default: the text file's stem)");
  cmd->add_option("--device", o->device, "auto, cpu, cuda, cuda:N")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "float32, bfloat16, float16")->capture_default_str();
  cmd->callback([o, project] {
    TerminalProgress progress("extract");
    const auto info = core::extractCapture(*o, *project, progress);
    std::cout << "extracted capture '" << info.name << "': " << info.layers << " layers x "
              << info.kvHeads << " KV heads (" << info.queryHeads << " query heads) x "
              << info.tokens << " tokens x " << info.headDim << " dims into " << *project << "\n";
  });
}

}  // namespace kvwb::cli
