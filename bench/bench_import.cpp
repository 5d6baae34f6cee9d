// Import benchmark: a SYNTHETIC Llama-3-8B-shaped KV dump (32 layers x 8 KV heads x 2048 tokens x
// 128 dims, float16, K and V: 268 MB, HF per-layer safetensors layout) imported into a new
// project, next to a plain copy of the same bytes measured in the same run; then the time to
// read one (layer, head) target back. Usage: bench_import [WORKDIR] [TOKENS]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include <Eigen/Core>

#include "core/capture/capture_import.h"
#include "core/project/project.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Smooth-in-time random values (AR(1) per dimension), so the data is not trivially constant.
void writeDump(const fs::path& path, int L, int H, int T, int D) {
  nlohmann::json header = nlohmann::json::object();
  const std::size_t per = static_cast<std::size_t>(H) * T * D * 2;
  std::size_t off = 0;
  for (int l = 0; l < L; ++l)
    for (const char* kind : {"key", "value"}) {
      header["past_key_values." + std::to_string(l) + "." + kind] = {
          {"dtype", "F16"}, {"shape", {1, H, T, D}}, {"data_offsets", {off, off + per}}};
      off += per;
    }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t n = h.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << h;
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 1.f);
  std::vector<Eigen::half> buf(static_cast<std::size_t>(H) * T * D);
  for (int l = 0; l < L * 2; ++l) {
    for (int hd = 0; hd < H; ++hd)
      for (int d = 0; d < D; ++d) {
        float x = noise(rng);
        for (int t = 0; t < T; ++t) {
          x = 0.8f * x + 0.6f * noise(rng);
          buf[(static_cast<std::size_t>(hd) * T + t) * D + d] = Eigen::half(x);
        }
      }
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size() * 2));
  }
}

// Baseline: read the file and write a copy with a 4 MiB buffer, then fsync (import fsyncs too).
double plainCopy(const fs::path& from, const fs::path& to) {
  const auto t0 = Clock::now();
  const int in = ::open(from.c_str(), O_RDONLY);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char> buf(4 << 20);
  for (ssize_t r; (r = ::read(in, buf.data(), buf.size())) > 0;)
    if (::write(out, buf.data(), static_cast<std::size_t>(r)) != r) std::perror("write");
  ::fsync(out);
  ::close(in);
  ::close(out);
  return seconds(t0, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path work = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "kvwb-bench-import";
  const int T = argc > 2 ? std::atoi(argv[2]) : 2048;
  const int L = 32, H = 8, D = 128;
  fs::remove_all(work);
  fs::create_directories(work);
  const auto dump = work / "llama8b_synthetic.safetensors";
  std::printf("KV Workbench import bench (synthetic Llama-3-8B shape: %d layers x %d KV heads x %d "
              "tokens x %d dims, float16, K+V)\n", L, H, T, D);
  writeDump(dump, L, H, T, D);
  const double mb = static_cast<double>(fs::file_size(dump)) / 1e6;
  std::printf("dump size: %.1f MB\n", mb);

  // Both measured 3 times, interleaved, best kept: the disk's write-back varies run to run.
  kvwb::core::JobContext ctx;
  double copyS = 1e30, importS = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    copyS = std::min(copyS, plainCopy(dump, work / "copy.bin"));
    fs::remove(work / "bench.kvw");
    const auto t0 = Clock::now();
    kvwb::core::importCapture({dump}, work / "bench.kvw", {}, ctx);
    importS = std::min(importS, seconds(t0, Clock::now()));
  }
  auto t0 = Clock::now();
  kvwb::core::ImportOptions second;
  second.captureName = "again";
  kvwb::core::importCapture({dump}, work / "bench.kvw", second, ctx);
  const double importExistingS = seconds(t0, Clock::now());

  const auto project = kvwb::core::Project::open(work / "bench.kvw");
  std::mt19937 rng(1);
  const int reads = 200;
  double checksum = 0;
  t0 = Clock::now();
  for (int i = 0; i < reads; ++i) {
    const auto m = project.readTarget("again", i % 2 ? kvwb::core::TensorKind::Keys
                                                     : kvwb::core::TensorKind::Values,
                                      static_cast<int>(rng() % L), static_cast<int>(rng() % H));
    checksum += m.data[5];
  }
  const double readMs = seconds(t0, Clock::now()) * 1000.0 / reads;

  std::printf("\n%-44s %10s %12s\n", "operation", "seconds", "MB/s");
  std::printf("%-44s %10.3f %12.1f\n", "plain file copy (read+write+fsync), baseline", copyS, mb / copyS);
  std::printf("%-44s %10.3f %12.1f   (%.2fx the copy's time)\n", "import into a new project", importS,
              mb / importS, importS / copyS);
  std::printf("%-44s %10.3f %12.1f   (copy-on-write of %.0f MB project)\n",
              "import into an existing project", importExistingS, mb / importExistingS, mb);
  std::printf("read one (layer, head) target, %d x %d f16->f32: %.3f ms (mean of %d, warm cache; "
              "checksum %.3f)\n", T, D, readMs, reads, checksum);
  fs::remove_all(work);
  return 0;
}
