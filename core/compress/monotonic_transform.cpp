// Learned monotonic transform of the kvsplice compressor (see monotonic_transform.h).
#include "core/compress/monotonic_transform.h"

#include <cmath>

namespace kvwb::core::learned {
namespace {

double inverseSoftplus(double y) { return std::log(std::expm1(y)); }

constexpr int kBisectionSteps = 30;

}  // namespace

MonotonicTransform::MonotonicTransform(std::int64_t n, std::int64_t dims, std::int64_t terms,
                                       const torch::Device& device)
    : m_terms(terms) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  m_a = torch::ones({n, 1, dims}, opts);  // the seed: transform_scale = ones, shift = zeros
  m_b = torch::zeros({n, 1, dims}, opts);
  m_c = torch::full({n, terms, dims}, inverseSoftplus(0.1), opts);  // small bumps ...
  m_s = torch::full({n, terms, dims}, inverseSoftplus(1.0), opts);  // ... of unit slope ...
  m_e = torch::linspace(-2, 2, terms, opts).view({1, terms, 1}).expand({n, terms, dims}).clone();  // ... spread
  if (terms == 1) m_e.zero_();
  for (auto* p : {&m_a, &m_b, &m_c, &m_s, &m_e}) p->requires_grad_(true);
}

torch::Tensor MonotonicTransform::forward(const torch::Tensor& x) const {
  auto y = torch::addcmul(m_b, x, torch::softplus(m_a));
  if (m_terms == 0) return y;
  const auto z = torch::addcmul(m_e.unsqueeze(1), x.unsqueeze(2), torch::softplus(m_s).unsqueeze(1));  // [n,T,K,D]
  return y + (torch::softplus(m_c).unsqueeze(1) * torch::tanh(z)).sum(2);
}

torch::Tensor MonotonicTransform::derivative(const torch::Tensor& x) const {
  auto d = torch::softplus(m_a).expand_as(x);
  if (m_terms == 0) return d;
  const auto s = torch::softplus(m_s).unsqueeze(1);
  const auto th = torch::tanh(torch::addcmul(m_e.unsqueeze(1), x.unsqueeze(2), s));
  return d + (torch::softplus(m_c).unsqueeze(1) * s * (1 - th * th)).sum(2);
}

torch::Tensor MonotonicTransform::inverse(const torch::Tensor& y) const {
  if (m_terms == 0) return (y - m_b) / torch::softplus(m_a);
  torch::Tensor x0;
  {
    torch::NoGradGuard noGrad;
    // softplus(a) x + b - C < f(x) < softplus(a) x + b + C with C = sum_k softplus(c_k).
    const auto slope = torch::softplus(m_a), reach = torch::softplus(m_c).sum(1, true);
    auto lo = (y - m_b - reach) / slope, hi = (y - m_b + reach) / slope;
    for (int i = 0; i < kBisectionSteps; ++i) {
      const auto mid = (lo + hi) / 2;
      const auto below = forward(mid) < y;
      lo = torch::where(below, mid, lo);
      hi = torch::where(below, hi, mid);
    }
    x0 = (lo + hi) / 2;
  }
  return x0 - (forward(x0) - y) / derivative(x0);
}

std::vector<torch::Tensor> MonotonicTransform::parameters() const {
  if (m_terms == 0) return {m_a, m_b};
  return {m_a, m_b, m_c, m_s, m_e};
}

}  // namespace kvwb::core::learned
