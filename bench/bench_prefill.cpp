// Prefill throughput of the LibTorch Llama runner (CPU, and CUDA when LibTorch sees it) next to a
// plain float32 PyTorch forward of the same checkpoint (bench/baseline_prefill.py), same run.
//   bench_prefill [MODEL_DIR] [TOKENS...]     default: datasets/stories260K-hf, 128 512 2048
// Lengths past the model's trained context (512) measure speed only.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/model/llama_model.h"
#include "gpu/device.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  kvwb::gpu::configureHost();  // as the CLI and GUI do: every core
  const fs::path model = argc > 1 ? argv[1] : "datasets/stories260K-hf";
  std::vector<int> lengths;
  for (int i = 2; i < argc; ++i) lengths.push_back(std::atoi(argv[i]));
  if (lengths.empty()) lengths = {128, 512, 2048};
  std::vector<std::string> devices = {"cpu"};
  if (kvwb::gpu::cudaAvailable()) devices.push_back("cuda:0");

  const kvwb::core::LlamaModel probe(model, {.device = "cpu"});
  const auto& c = probe.config();
  const double params = static_cast<double>(c.numLayers) *
                            (2.0 * c.hiddenSize * c.numHeads * c.headDim +
                             2.0 * c.hiddenSize * c.numKvHeads * c.headDim + 3.0 * c.hiddenSize * c.intermediateSize) +
                        static_cast<double>(c.vocabSize) * c.hiddenSize;
  std::printf("prefill bench: %s (%d layers, hidden %d, %d heads / %d KV heads, head_dim %d, ~%.0fK params), float32\n",
              model.c_str(), c.numLayers, c.hiddenSize, c.numHeads, c.numKvHeads, c.headDim, params / 1e3);
  std::printf("\n%8s  %-34s %12s %12s %9s\n", "tokens", "implementation", "ms/prefill", "tokens/s", "speed-up");
  for (int T : lengths) {
    const int repeats = T <= 512 ? 20 : 5;
    std::mt19937 rng(0);
    std::vector<int> ids(static_cast<std::size_t>(T));
    for (auto& id : ids) id = 3 + static_cast<int>(rng() % static_cast<unsigned>(c.vocabSize - 3));
    const std::string cmd = "/usr/bin/python3 " + (fs::path(KVWB_SOURCE_DIR) / "bench/baseline_prefill.py").string() +
                            " '" + model.string() + "' " + std::to_string(T) + " " + std::to_string(repeats);
    double base = 0;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      if (std::fscanf(p, "%lf", &base) != 1) base = 0;
      ::pclose(p);
    }
    if (base > 0)
      std::printf("%8d  %-34s %12.2f %12.0f %9s\n", T, "plain PyTorch float32 (baseline)", base * 1e3, T / base, "1.0x");
    for (const auto& device : devices) {
      const kvwb::core::LlamaModel m(model, {.device = device});
      m.logits(ids);  // warm-up
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < repeats; ++r) m.logits(ids);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
      char speed[16] = "-";
      if (base > 0) std::snprintf(speed, sizeof speed, "%.1fx", base / s);
      std::printf("%8d  %-34s %12.2f %12.0f %9s\n", T, ("kvwb runner, " + kvwb::gpu::describeDevice(device)).c_str(), s * 1e3, T / s, speed);
    }
  }
  return 0;
}
