// Internal to core/decode (includes torch): a FloatMatrix seen as a tensor, and tensors copied
// out as the float16 bits or floats the stores keep. Any thread.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

// [rows, cols] float32 over the matrix's data (no copy; the matrix must outlive it).
torch::Tensor asTensor(const FloatMatrix& m);
// The tensor's values rounded to float16, as bits, row-major.
std::vector<Half> halfBits(const torch::Tensor& t);
// The tensor's values as float32, row-major.
std::vector<float> floats(const torch::Tensor& t);

}  // namespace kvwb::core::decode
