// Structure-atlas benchmark: the batched engine (CPU, and CUDA when LibTorch sees it) against a
// straightforward per-target NumPy loop (bench/baseline_analysis.py) on the same capture, in the
// same run, with a cross-check of the lag-1 autocorrelations.
//   bench_analysis PROJECT [CAPTURE]            a real capture (default: the largest)
//   bench_analysis --synthetic LAYERS TOKENS    SYNTHETIC Llama-3-8B-shaped layers (8 KV heads,
//                                               32 query heads, head_dim 128), AR(1) in time
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "core/analysis/capture_analysis.h"
#include "gpu/device.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

void makeSynthetic(const fs::path& project, int L, int T) {
  const int H = 8, Hq = 32, D = 128;
  ProjectEdit edit(project);
  CaptureInfo c;
  c.name = "synthetic_llama8b";
  c.layers = L;
  c.kvHeads = H;
  c.queryHeads = Hq;
  c.tokens = T;
  c.headDim = D;
  c.hasQueries = true;
  c.metadataJson = R"({"synthetic":true,"note":"AR(1) in time, Llama-3-8B head shape"})";
  edit.createCapture(c);
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.f, 1.f);
  for (auto [kind, heads, rho] : {std::tuple{TensorKind::Keys, H, 0.8f}, {TensorKind::Values, H, 0.3f},
                                  {TensorKind::Queries, Hq, 0.8f}}) {
    std::vector<float> layer(static_cast<std::size_t>(heads) * T * D);
    for (int l = 0; l < L; ++l) {
      for (int h = 0; h < heads; ++h)
        for (int d = 0; d < D; ++d) {
          float x = n(rng);
          for (int t = 0; t < T; ++t) layer[(static_cast<std::size_t>(h) * T + t) * D + d] = x = rho * x + n(rng);
        }
      edit.writeLayer(c.name, kind, l, DType::F32,
                      {reinterpret_cast<const std::byte*>(layer.data()), layer.size() * 4});
    }
  }
  edit.commit();
}

double lag1Sum(const CaptureAnalysis& a) {
  double s = 0;
  for (std::int64_t l = 0; l < a.layers; ++l)
    for (std::int64_t h = 0; h < a.heads; ++h)
      for (std::size_t k = 0; k < a.kinds.size(); ++k)
        s += a.scalars(l, h, k)[StructureScalar::Lag1Autocorr];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  kvwb::gpu::configureHost();  // as the CLI and GUI do: every core
  fs::path projectPath;
  std::string capture;
  fs::path temp;
  if (argc >= 4 && std::string(argv[1]) == "--synthetic") {
    temp = fs::temp_directory_path() / "kvwb-bench-analysis";
    fs::remove_all(temp);
    fs::create_directories(temp);
    projectPath = temp / "synthetic.kvw";
    makeSynthetic(projectPath, std::atoi(argv[2]), std::atoi(argv[3]));
    capture = "synthetic_llama8b";
  } else {
    projectPath = argc > 1 ? argv[1] : "datasets/demo.kvw";
    if (argc > 2) capture = argv[2];
  }
  const auto project = Project::open(projectPath);
  if (capture.empty()) {  // the largest capture
    std::int64_t best = -1;
    for (const auto& c : project.captures())
      if (c.layers * c.kvHeads * c.tokens * c.headDim > best)
        best = c.layers * c.kvHeads * c.tokens * c.headDim, capture = c.name;
  }
  const auto& c = project.capture(capture);
  std::printf("structure atlas bench: %s / %s: %lld layers x %lld KV heads (%lld query heads) x "
              "%lld tokens x %lld dims%s\n", projectPath.c_str(), capture.c_str(),
              (long long)c.layers, (long long)c.kvHeads, (long long)c.queryHeads, (long long)c.tokens,
              (long long)c.headDim, c.metadataJson.find("\"synthetic\":true") != std::string::npos ? " (SYNTHETIC)" : "");

  std::vector<std::string> devices = {"cpu"};
  if (kvwb::gpu::cudaAvailable()) devices.push_back("cuda:0");
  std::printf("\n%-44s %10s %10s %14s\n", "implementation", "seconds", "speed-up", "sum lag1 (check)");
  const std::string cmd = "/usr/bin/python3 " + (fs::path(KVWB_SOURCE_DIR) / "bench/baseline_analysis.py").string() +
                          " '" + projectPath.string() + "' '" + capture + "'";
  double baseline = 0, baseCheck = 0;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    if (std::fscanf(p, "%lf %lf", &baseline, &baseCheck) != 2) baseline = 0;
    ::pclose(p);
  }
  if (baseline > 0)
    std::printf("%-44s %10.3f %10s %14.6f\n", "per-target NumPy loop (baseline)", baseline, "1.0x", baseCheck);
  else
    std::printf("baseline unavailable (needs /usr/bin/python3 with numpy and h5py)\n");
  for (const auto& device : devices) {
    JobContext ctx;
    AnalysisOptions opt;
    opt.device = device;
    analyzeCapture(project, capture, opt, ctx);  // warm-up (allocator, kernels, page cache)
    const auto t0 = std::chrono::steady_clock::now();
    const auto a = analyzeCapture(project, capture, opt, ctx);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char speed[32] = "-";
    if (baseline > 0) std::snprintf(speed, sizeof speed, "%.1fx", baseline / s);
    std::printf("%-44s %10.3f %10s %14.6f\n", ("batched engine, " + kvwb::gpu::describeDevice(device)).c_str(), s, speed, lag1Sum(a));
  }
  if (!temp.empty()) fs::remove_all(temp);
  return 0;
}
