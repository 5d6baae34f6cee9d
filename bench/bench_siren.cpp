// SIREN fitting benchmark: every (layer, head, kind) SIREN of a capture at the seed's medium
// config, batched (one network over all targets) against the seed's one-network-at-a-time loop,
// same device, same run; at the demo capture's shape and at Llama-3-8B's (SYNTHETIC, AR(1)).
//   bench_siren [PROJECT] [--epochs E] [--batched-targets N] [--sequential-targets N]
// Where a full fit would take too long, a subset of targets runs for E epochs and the full
// 2000-epoch fit of all targets is extrapolated from the time per target-epoch (said in the output).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "core/analysis/structure_kernels.h"
#include "core/compress/compressor.h"
#include "core/project/project.h"
#include "gpu/device.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

constexpr int kSeedEpochs = 2000;

struct Shape {
  std::string label;
  std::int64_t targets = 0, t = 0, d = 0;
  bool synthetic = false;
};

// First `count` targets of the capture in (layer, head, kind) order.
TargetBatch realTargets(const Project& p, const CaptureInfo& c, std::int64_t count) {
  TargetBatch b{0, c.tokens, c.headDim, {}};
  for (std::int64_t l = 0; l < c.layers; ++l)
    for (std::int64_t h = 0; h < c.kvHeads; ++h)
      for (auto kind : {TensorKind::Keys, TensorKind::Values}) {
        if (b.n == count) return b;
        const auto m = p.readTarget(c.name, kind, l, h);
        b.data.insert(b.data.end(), m.data.begin(), m.data.end());
        ++b.n;
      }
  return b;
}

// SYNTHETIC targets alternating K and V: AR(1) in time per dim with the real lag-1 coefficients.
TargetBatch syntheticTargets(std::int64_t count, std::int64_t t, std::int64_t d, double rhoK, double rhoV) {
  TargetBatch b{count, t, d, std::vector<float>(static_cast<std::size_t>(count * t * d))};
  std::mt19937 rng(11);
  std::normal_distribution<double> g(0, 1);
  for (std::int64_t i = 0; i < count; ++i) {
    const double rho = i % 2 == 0 ? rhoK : rhoV, innovation = std::sqrt(1 - rho * rho);
    for (std::int64_t k = 0; k < d; ++k) {
      double x = g(rng);
      for (std::int64_t s = 0; s < t; ++s) b.data[(i * t + s) * d + k] = static_cast<float>(x = rho * x + innovation * g(rng));
    }
  }
  return b;
}

double measuredPeakGflops(const std::string& device) {
  const torch::Device dev(device);
  const std::int64_t n = dev.is_cuda() ? 8192 : 1024;
  const auto a = torch::randn({n, n}, torch::TensorOptions().device(dev)), b = torch::randn({n, n}, a.options());
  torch::mm(a, b);
  if (dev.is_cuda()) torch::cuda::synchronize();
  const int reps = dev.is_cuda() ? 20 : 3;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) torch::mm(a, b);
  if (dev.is_cuda()) torch::cuda::synchronize();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * n * reps / s / 1e9;
}

struct Timing {
  double secondsPerTargetEpoch = 0, flopsPerTargetEpoch = 0;
};

Timing timeFit(const TargetBatch& b, bool batched, int epochs, const std::string& device) {
  JobContext ctx;
  FitInputs in;
  in.seed = 1;
  // Batched: every target of `b` in one network (batch_size n), whatever the device's default.
  nlohmann::json p = {{"config", "medium"}, {"epochs", epochs}, {"batched", batched}};
  if (batched) p["batch_size"] = b.n;
  const auto fit = makeCompressor("siren")->fit(b, p, in, device, ctx);
  Timing t;
  t.secondsPerTargetEpoch = fit.fitSeconds / static_cast<double>(b.n * epochs);
  // Forward 2 T (weights) flops, backward twice that.
  t.flopsPerTargetEpoch = 3 * 2.0 * b.t * fit.targets[0].bytes.items.at("weights") / 4;
  return t;
}

std::string duration(double s) {
  char buf[32];
  if (s < 120) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  kvwb::gpu::configureHost();  // as the CLI and GUI do: every core
  fs::path projectPath = fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw";
  int epochs = 0;
  std::int64_t batchedTargets = 0, sequentialTargets = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc) epochs = std::atoi(argv[++i]);
    else if (a == "--batched-targets" && i + 1 < argc) batchedTargets = std::atoll(argv[++i]);
    else if (a == "--sequential-targets" && i + 1 < argc) sequentialTargets = std::atoll(argv[++i]);
    else projectPath = a;
  }
  const auto project = Project::open(projectPath);
  const auto& cap = project.captures().front();
  // The structure atlas's lag-1 autocorrelation of every real target, averaged per kind.
  const auto real = realTargets(project, cap, cap.layers * cap.kvHeads * 2);
  const auto stats = computeTargetStats(real, 1, "cpu");
  double rhoK = 0, rhoV = 0;
  for (std::int64_t i = 0; i < real.n; ++i) (i % 2 == 0 ? rhoK : rhoV) += stats.autocorr[i] / (real.n / 2);
  std::printf("SIREN fit bench, medium config (256 wide, 2 hidden, omega_0 30), Adam lr 1e-4, the seed's %d epochs\n"
              "real capture: %s / %s (lag-1 autocorrelation: keys %.3f, values %.3f)\n",
              kSeedEpochs, projectPath.c_str(), cap.name.c_str(), rhoK, rhoV);

  const std::vector<Shape> shapes = {
      {"demo " + cap.name, cap.layers * cap.kvHeads * 2, cap.tokens, cap.headDim, false},
      {"Llama-3-8B SYNTHETIC AR(1)", 32 * 8 * 2, 512, 128, true},
      {"Llama-3-8B SYNTHETIC AR(1)", 32 * 8 * 2, 2048, 128, true}};
  std::vector<std::string> devices = {"cpu"};
  if (torch::cuda::is_available()) devices.push_back("cuda:0");
  for (const auto& device : devices) std::printf("device: %s\n", kvwb::gpu::describeDevice(device).c_str());

  std::printf("\n%-28s %-7s %5s %5s %4s %-14s %12s %12s %8s %11s %11s %9s %9s\n", "shape", "device", "fits",
              "T", "D", "timed (b/s x e)", "seq s/fit-ep", "bat s/fit-ep", "speed-up", "all seq", "all batched",
              "GFLOP/s", "peak");
  for (const auto& device : devices) {
    const bool cuda = device != "cpu";
    const double peak = measuredPeakGflops(device);
    for (const auto& s : shapes) {
      const int e = epochs > 0 ? epochs : cuda ? 20 : 2;
      const auto nb = std::min(s.targets, batchedTargets > 0 ? batchedTargets : cuda ? s.targets : 8);
      const auto ns = std::min(s.targets, sequentialTargets > 0 ? sequentialTargets : cuda ? 16 : 2);
      const auto n = std::max(nb, ns);
      const auto all = s.synthetic ? syntheticTargets(n, s.t, s.d, rhoK, rhoV) : realTargets(project, cap, n);
      auto subset = [&](std::int64_t k) { return TargetBatch{k, all.t, all.d, {all.data.begin(), all.data.begin() + k * all.t * all.d}}; };
      timeFit(subset(1), true, 1, device);  // warm-up
      const auto seq = timeFit(subset(ns), false, e, device);
      const auto bat = timeFit(subset(nb), true, e, device);
      char timed[32];
      std::snprintf(timed, sizeof timed, "%lld/%lld x %d", (long long)nb, (long long)ns, e);
      std::printf("%-28s %-7s %5lld %5lld %4lld %-14s %12.4f %12.4f %7.1fx %11s %11s %9.1f %9.1f\n",
                  s.label.c_str(), device.c_str(), (long long)s.targets, (long long)s.t, (long long)s.d, timed,
                  seq.secondsPerTargetEpoch, bat.secondsPerTargetEpoch,
                  seq.secondsPerTargetEpoch / bat.secondsPerTargetEpoch,
                  duration(seq.secondsPerTargetEpoch * s.targets * kSeedEpochs).c_str(),
                  duration(bat.secondsPerTargetEpoch * s.targets * kSeedEpochs).c_str(),
                  bat.flopsPerTargetEpoch / bat.secondsPerTargetEpoch / 1e9, peak);
    }
  }
  std::printf("\nfits: targets of the capture ((layer, head, kind)); timed (b/s x e): targets fitted batched / "
              "sequentially x epochs in this run.\n'all seq' and 'all batched' EXTRAPOLATE the time per "
              "target-epoch to every target at %d epochs. s/fit-ep includes init, normalisation and decode.\n"
              "GFLOP/s: batched training (3 x 2 T x weights per target-epoch); peak: torch::mm measured on the "
              "same device (%s).\nSYNTHETIC rows are not model data: AR(1) in time per dim, coefficient = the real "
              "capture's mean lag-1 autocorrelation, keys and values alternating.\n",
              kSeedEpochs, "1024^2 on CPU, 8192^2 on CUDA");
  return 0;
}
