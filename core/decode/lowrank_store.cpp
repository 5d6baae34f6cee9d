// Low-rank decode store (see lowrank_store.h): the SVD and the reconstruction use LibTorch, the
// decode step the vector primitives.
#include "core/decode/lowrank_store.h"

#include <algorithm>
#include <stdexcept>

#include "core/decode/simd_kernels.h"
#include "core/decode/tensor_bits.h"

namespace kvwb::core::decode {
namespace {

simd::Rows halfRows(const std::vector<Half>& data, std::int64_t count, std::int64_t n) {
  return {simd::Codes::F16, data.data(), n * static_cast<std::int64_t>(sizeof(Half)), count, n};
}

}  // namespace

LowRankStore::LowRankStore(const FloatMatrix& values, std::int64_t rank)
    : m_rows(values.rows), m_dims(values.cols), m_rank(rank) {
  if (rank < 1 || rank > std::min(m_rows, m_dims))
    throw std::invalid_argument("LowRankStore: rank " + std::to_string(rank) + " outside [1, " +
                                std::to_string(std::min(m_rows, m_dims)) + "]");
  torch::NoGradGuard noGrad;
  const auto [u, s, vh] = at::linalg_svd(asTensor(values), false);
  m_ut = halfBits(u.narrow(1, 0, rank).t());
  m_s = halfBits(s.narrow(0, 0, rank));
  m_v = halfBits(vh.narrow(0, 0, rank).t());
}

double LowRankStore::bytes() const {
  return static_cast<double>(m_ut.size() + m_s.size() + m_v.size()) * sizeof(Half);
}

void LowRankStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const {
  float* qv = scratch.buffer(2, static_cast<std::size_t>(groups * m_rank));  // q V [G, r]
  std::fill(qv, qv + groups * m_rank, 0.0f);
  simd::accumulate(halfRows(m_v, m_dims, m_rank), q, groups, m_dims, nullptr, qv, m_rank);
  std::fill(s, s + groups * m_rows, 0.0f);
  simd::accumulate(halfRows(m_ut, m_rank, m_rows), qv, groups, m_rank, m_s.data(), s, m_rows);
}

void LowRankStore::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const {
  float* pu = scratch.buffer(2, static_cast<std::size_t>(groups * (m_rank + m_dims)));  // p U S [G, r]
  float* pv = pu + groups * m_rank;                                                      // p U S V^T [G, D]
  simd::dots(halfRows(m_ut, m_rank, m_rows), p, groups, m_rows, nullptr, pu, m_rank);
  for (std::int64_t g = 0; g < groups; ++g)
    for (std::int64_t k = 0; k < m_rank; ++k) pu[g * m_rank + k] *= simd::halfToFloat(m_s[k]);
  simd::dots(halfRows(m_v, m_dims, m_rank), pu, groups, m_rank, nullptr, pv, m_dims);
  std::transform(out, out + groups * m_dims, pv, out, std::plus<>());
}

void LowRankStore::reconstructInto(float* out, DecodeScratch& scratch) const {
  float* u = scratch.buffer(2, static_cast<std::size_t>(m_rank * (m_rows + m_dims)));
  float* vs = u + m_rank * m_rows;  // V S [D, r]
  simd::halfToFloat(m_ut.data(), m_rank * m_rows, u);
  simd::halfToFloat(m_v.data(), m_dims * m_rank, vs);
  for (std::int64_t d = 0; d < m_dims; ++d)
    for (std::int64_t k = 0; k < m_rank; ++k) vs[d * m_rank + k] *= simd::halfToFloat(m_s[k]);
  torch::NoGradGuard noGrad;
  auto result = torch::from_blob(out, {m_rows, m_dims});
  at::mm_out(result, torch::from_blob(u, {m_rank, m_rows}).t(), torch::from_blob(vs, {m_dims, m_rank}).t());
}

}  // namespace kvwb::core::decode
