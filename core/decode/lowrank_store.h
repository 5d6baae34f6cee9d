// Low-rank decode store: truncated SVD factors attended without reconstruction. Keys: the scores
// q K^T = ((q V_r) S_r) U_r^T; values: p V = ((p U_r) S_r) V_r^T: 2 G r (L + D) multiply-adds
// instead of 2 G L D. Factors at float16 as the "svd" method stores them (U [L, r] kept
// transposed, token-contiguous; S [r]; V [D, r]). Immutable once built; any thread.
#pragma once

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

class LowRankStore final : public KeyStore, public ValueStore {
 public:
  // The rank-`rank` truncated SVD of `values` [L, D]; rank in [1, min(L, D)].
  LowRankStore(const FloatMatrix& values, std::int64_t rank);
  std::string name() const override { return "low-rank r=" + std::to_string(m_rank); }
  std::int64_t rows() const override { return m_rows; }
  std::int64_t dims() const override { return m_dims; }
  double bytes() const override;
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  // U_r S_r V_r^T as one [L, r] x [r, D] matrix product (LibTorch).
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  std::int64_t m_rows, m_dims, m_rank;
  std::vector<Half> m_ut, m_s, m_v;  // U^T [r, L], S [r], V [D, r]
};

}  // namespace kvwb::core::decode
