// Windowed model quality (issue 15): the quality windows of one sweep job run batched over
// windows (the model's forwards with a batch dimension, every window's targets fitted at once)
// next to the per-window loop (batch 1), same run, same job, same results. Prints seconds for
// the baseline (exact model, once per capture) and for one job, the speed-up, the KL divergence
// each way (equal: batching changes nothing measured) and the peak resident memory after each.
//   bench_quality [PROJECT [METHOD_JSON [WINDOWS]]]
//   default: datasets/demo.kvw, {"method": "svd", "params": {"rank": 2}}, 16 windows of 448 + 64
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/sweep/sweep.h"
#include "core/sweep/window_quality.h"
#include "gpu/device.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  kvwb::gpu::configureHost();  // as the CLI and GUI do
  const fs::path project = argc > 1 ? argv[1] : KVWB_SOURCE_DIR "/datasets/demo.kvw";
  const auto method = nlohmann::json::parse(argc > 2 ? argv[2] : R"({"method": "svd", "params": {"rank": 2}})");
  const int windows = argc > 3 ? std::atoi(argv[3]) : 16;
  const nlohmann::json specJson = {{"name", "bench"},
                                   {"captures", {"tinystories"}},
                                   {"seq_lengths", {448}},
                                   {"methods", {method}},
                                   {"metrics", {{"attention", false}, {"delta_ppl", "none"}}},
                                   {"device", "cpu"}};
  const SweepSpec spec = parseSweepSpec(specJson, "bench_quality");
  const Project p = Project::open(project);
  const SweepJob job = planSweep(p, spec).front();
  const LlamaModel model(requireCaptureModel(p, job.capture), LoadOptions{.device = "cpu"});
  std::printf("quality bench: %s, %s %s on every head of '%s', %d windows of %d + 64 tokens, 32 greedy, cpu\n",
              project.c_str(), job.method.c_str(), job.params.dump().c_str(), job.capture.c_str(), windows,
              job.seqLength);
  std::printf("\n%-28s %11s %9s %9s %9s %12s %13s\n", "implementation", "baseline s", "job s", "total s",
              "speed-up", "KLD mean", "peak RSS MiB");
  double reference = 0;
  for (int batch : {1, 8, 16}) {
    WindowSpec w{.windows = windows, .batch = batch};
    JobContext ctx;
    auto start = std::chrono::steady_clock::now();
    const WindowQuality quality(p, job.capture, model, w, job.seqLength, /*store=*/false, "cpu", ctx);
    const double baseline = seconds(start);
    const auto compressor = makeCompressor(job.method);
    start = std::chrono::steady_clock::now();
    const JobQuality q = quality.measure(job, spec, *compressor, ctx);
    const double measured = seconds(start);
    if (batch == 1) reference = baseline + measured;
    const std::string name = batch == 1 ? "per-window loop (batch 1)" : "batched, " + std::to_string(batch) + " windows";
    std::printf("%-28s %11.2f %9.2f %9.2f %8.2fx %12.6f %13.0f\n", name.c_str(), baseline, measured, baseline + measured,
                reference / (baseline + measured), q.stats.kld.mean, peakRssMiB());
  }
  return 0;
}
