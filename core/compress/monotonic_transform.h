// The learned elementwise monotonic transform of "kvsplice", per target and dim:
//   f(x) = softplus(a) x + b + sum_k softplus(c_k) tanh(softplus(s_k) x + e_k),
// strictly increasing (f' >= softplus(a) > 0); with K = 0 terms it is the seed's
// x * softplus(scale) + shift. Private (LibTorch); one thread at a time per instance.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace kvwb::core::learned {

class MonotonicTransform {
 public:
  // n targets of `dims` dims with `terms` tanh terms, at the seed's initial scale and shift.
  MonotonicTransform(std::int64_t n, std::int64_t dims, std::int64_t terms, const torch::Device& device);

  torch::Tensor forward(const torch::Tensor& x) const;     // x [n, T, dims]
  torch::Tensor derivative(const torch::Tensor& x) const;  // df/dx, elementwise
  // f^-1 by bisection inside its bracket, then one Newton step with gradients, so the result
  // differentiates as the implicit function (d/dy = 1/f', d/dtheta = -df/dtheta / f').
  torch::Tensor inverse(const torch::Tensor& y) const;

  std::vector<torch::Tensor> parameters() const;  // leaves [n, 1, dims] and [n, terms, dims]
  static std::int64_t valuesPerDim(std::int64_t terms) { return 2 + 3 * terms; }

 private:
  std::int64_t m_terms;
  torch::Tensor m_a, m_b, m_c, m_s, m_e;
};

}  // namespace kvwb::core::learned
