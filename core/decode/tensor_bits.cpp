// FloatMatrix <-> tensor helpers of the decode stores (see tensor_bits.h).
#include "core/decode/tensor_bits.h"

#include <cstring>

namespace kvwb::core::decode {

torch::Tensor asTensor(const FloatMatrix& m) {
  return torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols});
}

std::vector<Half> halfBits(const torch::Tensor& t) {
  const auto h = t.to(torch::kFloat16).contiguous();
  std::vector<Half> bits(static_cast<std::size_t>(h.numel()));
  std::memcpy(bits.data(), h.data_ptr<at::Half>(), bits.size() * sizeof(Half));
  return bits;
}

std::vector<float> floats(const torch::Tensor& t) {
  const auto f = t.to(torch::kFloat32).contiguous();
  return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

}  // namespace kvwb::core::decode
