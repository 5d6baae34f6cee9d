// Device selection through LibTorch (works with CPU-only and CUDA builds of LibTorch).
#include "gpu/device.h"

#include <malloc.h>
#include <torch/torch.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace kvwb::gpu {

bool cudaAvailable() { return torch::cuda::is_available(); }

void configureHost() {
  constexpr int kKeptBytes = 1 << 30;
  mallopt(M_MMAP_THRESHOLD, kKeptBytes / 4);  // larger blocks still come from mmap
  mallopt(M_TRIM_THRESHOLD, kKeptBytes);
  if (std::getenv("OMP_NUM_THREADS")) return;
  const auto cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores > at::get_num_threads()) at::set_num_threads(cores);
}

ScopedCpuThreads::ScopedCpuThreads(int threads) : m_previous(at::get_num_threads()) {
  if (threads != m_previous) at::set_num_threads(threads);
}

ScopedCpuThreads::~ScopedCpuThreads() {
  if (at::get_num_threads() != m_previous) at::set_num_threads(m_previous);
}

std::string resolveDevice(const std::string& requested) {
  if (requested.empty() || requested == "auto") return cudaAvailable() ? "cuda:0" : "cpu";
  if (requested == "cpu") return "cpu";
  if (requested.rfind("cuda", 0) == 0) {
    if (!cudaAvailable())
      throw std::invalid_argument("device '" + requested + "' asked for, but LibTorch sees no CUDA");
    const torch::Device d(requested);
    if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument("device '" + requested + "' does not exist");
    return d.has_index() ? requested : "cuda:0";
  }
  throw std::invalid_argument("unknown device '" + requested + "' (use auto, cpu, cuda, cuda:N)");
}

std::string describeDevice(const std::string& resolved) {
  if (resolved == "cpu") {
    const int threads = at::get_num_threads();
    return "cpu (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
  }
  return resolved + " (CUDA)";
}

}  // namespace kvwb::gpu
