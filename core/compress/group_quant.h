// Internal to the compressors (includes torch): asymmetric uniform INTb quantization in groups
// along the last dimension, shared by "quant" and "mixed_precision". Scales and zero points (the
// group minimum, a float) are stored as float16, rounded outward so that every element of a group
// lies in [zero, zero + (2^b - 1) * scale]: the dequantization error is at most scale / 2.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace kvwb::core {

struct GroupQuant {
  torch::Tensor codes;   // uint8 [..., L], one code per element (packed in storage: see codeBytes)
  torch::Tensor scales;  // float32 holding float16 values, [..., groups]
  torch::Tensor zeros;   // same
  int bits = 8;
  std::int64_t group = 0;  // elements per group; the last group of a row may be shorter
};

// x: float32 [..., L]; bits in [1, 8] (the methods offer 2, 4 and 8; the precision bound also
// measures 3, 5 and 6); group in [1, L] (0 = the whole row).
GroupQuant quantizeGroups(const torch::Tensor& x, int bits, std::int64_t group);
torch::Tensor dequantizeGroups(const GroupQuant& q);  // float32 [..., L]

std::int64_t groupsPerRow(std::int64_t length, std::int64_t group);
double packedCodeBytes(double values, int bits);  // ceil(values * bits / 8)

}  // namespace kvwb::core
