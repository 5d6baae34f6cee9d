// Compute device selection shared by every torch-using module: "auto" picks CUDA when LibTorch
// sees it, else the CPU. Std-typed so the GUI can show the device without torch headers.
#pragma once

#include <string>

namespace kvwb::gpu {

bool cudaAvailable();
// Process set-up for tensor work; call once at program start. Uses every core for CPU tensor
// work unless OMP_NUM_THREADS says otherwise (LibTorch's OpenMP default can be one thread in
// containers), and keeps freed tensor memory up to 1 GiB in the process: glibc returns blocks
// over 32 MiB to the system at every free, and faulting their pages in again took half the time
// of a batch of model forwards (perf, windowed quality on the demo).
void configureHost();

// While alive, torch CPU work of the calling thread runs on `threads` threads (LibTorch's OpenMP
// thread count is per thread). For overhead-bound work such as a tiny model's forward passes:
// extra threads, and their spinning while other processes hold the cores, cost more than they
// save (5x slower windowed quality on 2 busy cores).
class ScopedCpuThreads {
 public:
  explicit ScopedCpuThreads(int threads);
  ~ScopedCpuThreads();
  ScopedCpuThreads(const ScopedCpuThreads&) = delete;
  ScopedCpuThreads& operator=(const ScopedCpuThreads&) = delete;

 private:
  int m_previous;
};
// "auto" -> "cuda:0" or "cpu"; "cpu", "cuda", "cuda:N" are validated (throws std::invalid_argument
// for an unknown name or CUDA asked for where none is available).
std::string resolveDevice(const std::string& requested);
// One line for status bars and run records: "cuda:0 (CUDA)", "cpu (2 threads)".
std::string describeDevice(const std::string& resolved);

}  // namespace kvwb::gpu
