// kvwb-cli generate: greedy continuation of a prompt with a Llama-family checkpoint (HF folder or
// llama2.c .bin). Runs on the calling thread; CUDA is used when available.
#include <iostream>

#include "app/cli/commands.h"
#include "core/model/llama_model.h"
#include "core/model/tokenizer.h"

namespace kvwb::cli {
void addGenerateCommand(CLI::App& app) {
  struct Options {
    std::string model, tokenizer, prompt, device = "auto", dtype = "float32";
    int tokens = 64;
    bool stopAtEos = true;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate", "Greedy continuation of a prompt with a checkpoint");
  cmd->add_option("--model", opts->model, "Hugging Face folder or llama2.c .bin")->required();
  cmd->add_option("--tokenizer", opts->tokenizer, "tokenizer.json or llama2.c tokenizer .bin");
  cmd->add_option("--prompt", opts->prompt, "Prompt text (empty: start from BOS)");
  cmd->add_option("--tokens", opts->tokens, "Number of tokens to generate")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--device", opts->device, "auto, cpu, cuda, cuda:N");
  cmd->add_option("--dtype", opts->dtype, "float32, bfloat16, float16, auto");
  cmd->add_flag("!--no-stop", opts->stopAtEos, "Keep going after the end-of-sequence token");
  cmd->callback([opts] {
    const std::filesystem::path model = opts->model;
    const auto tokenizer = core::Tokenizer::load(opts->tokenizer.empty()
                                                     ? core::Tokenizer::findFor(model)
                                                     : std::filesystem::path(opts->tokenizer));
    const core::LlamaModel runner(model, {opts->device, opts->dtype});
    // llama2.c models end a story with BOS; HF configs name their EOS.
    const int stop = !opts->stopAtEos                          ? -1
                     : runner.config().modelType == "llama2.c" ? tokenizer.bosId()
                                                               : runner.config().eosTokenId;
    const auto prompt = tokenizer.encode(opts->prompt, true);
    const auto generated = runner.generate(prompt, opts->tokens, stop);
    std::vector<int> all(prompt);
    all.insert(all.end(), generated.begin(), generated.end());
    std::cout << tokenizer.decode(all) << "\n";
  });
}

}  // namespace kvwb::cli
