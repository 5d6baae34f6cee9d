// Device profiles of the decode-cost roofline (docs/DECODE_COST.md): memory bandwidth, the peak
// rate of matrix work (dense float16 Tensor Cores on the GPUs) and of float32 vector work, from
// datasheets with their sources (A100, H100, H200, RTX 4060), and this machine measured: stream
// read bandwidth over all cores and the float32 matmul peak. The table is constant;
// measureHostProfile takes a few seconds and may run on any thread.
//
//   const auto h100 = kvwb::core::deviceProfile("h100");
//   double us = kvwb::core::predictDecode(cost, h100).micros;   // decode_cost.h
#pragma once

#include <string>
#include <vector>

namespace kvwb::core {

struct DeviceProfile {
  std::string name;          // the CLI's --device: "h100", "cpu"
  std::string title;         // "NVIDIA H100 SXM5 80GB"
  double bandwidth = 0;      // bytes/s
  double matrixFlops = 0;    // FLOP/s of dot and matrix products
  double vectorFlops = 0;    // float32 FLOP/s without Tensor Cores (a multiply-add counted 2)
  std::string source;        // datasheet figures used, or how it was measured
};

// A100, H100, H200, RTX 4060, from their datasheets.
const std::vector<DeviceProfile>& datasheetProfiles();
// This machine: bandwidth from summing a 512 MiB buffer on every hardware thread, matrix and
// vector peak from a 2048 x 2048 float32 matmul (LibTorch), each the best of 3.
DeviceProfile measureHostProfile();
// "cpu" (measured: measureHostProfile, once per process) or a datasheet profile by name (case
// ignored). Throws std::invalid_argument for another name, suggesting the closest one.
DeviceProfile deviceProfile(const std::string& name);
std::vector<std::string> deviceNames();  // the datasheet profiles' names, then "cpu"

}  // namespace kvwb::core
