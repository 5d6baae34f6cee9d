// Device profiles (see device_profiles.h). The host measurement uses LibTorch for the matmul and
// the decode kernels' streaming sum for the bandwidth.
#include "core/decode/device_profiles.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/compress/method_descriptor.h"  // closestWord
#include "core/decode/simd_kernels.h"

namespace kvwb::core {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Bytes/s of one read of a 512 MiB buffer split over every hardware thread, best of 3.
double streamBandwidth() {
  const std::int64_t floats = std::int64_t{1} << 27;
  std::vector<float> buffer(static_cast<std::size_t>(floats), 1.0f);  // written once: pages mapped
  const auto threads = static_cast<std::int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  double best = 0, sink = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<double> sums(static_cast<std::size_t>(threads));
    std::vector<std::thread> workers;
    const auto start = Clock::now();
    for (std::int64_t t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        const auto first = floats * t / threads, last = floats * (t + 1) / threads;
        sums[t] = decode::simd::sumFloats(buffer.data() + first, last - first);
      });
    for (auto& w : workers) w.join();
    best = std::max(best, static_cast<double>(floats) * sizeof(float) / seconds(start));
    for (const double s : sums) sink += s;
  }
  if (sink != 3.0 * static_cast<double>(floats)) throw std::logic_error("stream bandwidth probe summed wrong");
  return best;
}

// FLOP/s of a 2048 x 2048 float32 matmul with LibTorch's threads, best of 3 after a warm-up.
double matmulPeak() {
  constexpr std::int64_t n = 2048;
  torch::NoGradGuard noGrad;
  const auto a = torch::rand({n, n}), b = torch::rand({n, n});
  auto c = torch::mm(a, b);
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    const auto start = Clock::now();
    at::mm_out(c, a, b);
    best = std::max(best, 2.0 * n * n * n / seconds(start));
  }
  return best;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

const std::vector<DeviceProfile>& datasheetProfiles() {
  static const std::vector<DeviceProfile> profiles = {
      {"a100", "NVIDIA A100 SXM4 80GB", 2039e9, 312e12, 19.5e12,
       "NVIDIA A100 Tensor Core GPU datasheet: HBM2e 2,039 GB/s; FP16 Tensor Core 312 TFLOPS dense; FP32 19.5 TFLOPS"},
      {"h100", "NVIDIA H100 SXM5 80GB", 3.35e12, 989.5e12, 67e12,
       "NVIDIA H100 Tensor Core GPU datasheet: HBM3 3.35 TB/s; FP16 Tensor Core 1,979 TFLOPS with sparsity, "
       "989.5 dense; FP32 67 TFLOPS"},
      {"h200", "NVIDIA H200 SXM 141GB", 4.8e12, 989.5e12, 67e12,
       "NVIDIA H200 Tensor Core GPU datasheet: HBM3e 4.8 TB/s; FP16 Tensor Core 1,979 TFLOPS with sparsity, "
       "989.5 dense; FP32 67 TFLOPS"},
      {"rtx4060", "NVIDIA GeForce RTX 4060 8GB", 272e9, 30.2e12, 15.11e12,
       "NVIDIA GeForce RTX 4060 specifications: GDDR6 17 Gbps x 128 bit = 272 GB/s, 3,072 CUDA cores at 2.46 GHz "
       "= 15.11 TFLOPS FP32; Ada Lovelace whitepaper rates for 24 SMs: FP16 Tensor 60.5 TFLOPS with FP16 "
       "accumulate, 30.2 with FP32 accumulate (GeForce), dense"},
  };
  return profiles;
}

DeviceProfile measureHostProfile() {
  const double peak = matmulPeak();
  return {"cpu", "this machine, " + std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " threads",
          streamBandwidth(), peak, peak,
          "measured: a 512 MiB read on every hardware thread; a 2048^2 float32 matmul (LibTorch), best of 3"};
}

DeviceProfile deviceProfile(const std::string& name) {
  const auto key = lower(name);
  if (key == "cpu") {
    static std::once_flag once;
    static DeviceProfile host;
    std::call_once(once, [] { host = measureHostProfile(); });
    return host;
  }
  for (const auto& p : datasheetProfiles())
    if (p.name == key) return p;
  const auto names = deviceNames();
  const auto guess = closestWord(key, names);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown device '" + name + "'" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)") +
                              "; devices: " + list);
}

std::vector<std::string> deviceNames() {
  std::vector<std::string> names;
  for (const auto& p : datasheetProfiles()) names.push_back(p.name);
  names.push_back("cpu");
  return names;
}

}  // namespace kvwb::core
