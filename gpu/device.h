// Compute device selection shared by every torch-using module: "auto" picks CUDA when LibTorch
// sees it, else the CPU. Std-typed so the GUI can show the device without torch headers.
#pragma once

#include <string>

namespace kvwb::gpu {

bool cudaAvailable();
// Uses every core for CPU tensor work unless OMP_NUM_THREADS says otherwise (LibTorch's OpenMP
// default can be one thread in containers). Call once at program start.
void configureThreads();
// "auto" -> "cuda:0" or "cpu"; "cpu", "cuda", "cuda:N" are validated (throws std::invalid_argument
// for an unknown name or CUDA asked for where none is available).
std::string resolveDevice(const std::string& requested);
// One line for status bars and run records: "cuda:0 (CUDA)", "cpu (2 threads)".
std::string describeDevice(const std::string& resolved);

}  // namespace kvwb::gpu
