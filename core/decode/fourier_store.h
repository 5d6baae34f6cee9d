// Fourier decode store, after FourierAttention (the "fourier" method with no exact dims): the
// first `sink` and last `recent` tokens kept at float16, the m middle tokens as the lowest k bins
// of their orthonormal rFFT along the tokens, per dim, at float16. Attention stays in the
// frequency domain, since the middle tokens of dim d are irfft(C_d), linear in C_d. Keys: z_g =
// sum_d q_gd C_d (k complex values), and the middle scores are irfft(z_g): one inverse FFT per
// query instead of m x D multiply-adds. Values: P_g = rfft(p_g's middle), and the output is
// sum_k w_k Re(conj(P_gk) C_k) (w_k = 2, 1 for the DC and Nyquist bins). FFTs by LibTorch.
// Immutable once built; any thread.
#pragma once

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

class FourierStore final : public KeyStore, public ValueStore {
 public:
  // values [L, D]; sink and recent clamped to L; coeffs clamped to the middle's m / 2 + 1 bins.
  FourierStore(const FloatMatrix& values, std::int64_t sink, std::int64_t recent, std::int64_t coeffs);
  std::string name() const override;
  std::int64_t rows() const override { return m_rows; }
  std::int64_t dims() const override { return m_dims; }
  double bytes() const override;
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  std::int64_t m_rows, m_dims, m_sink, m_recent, m_middle, m_coeffs;
  std::int64_t m_imagBins;    // bins 1 .. m_imagBins have an imaginary part stored
  std::vector<Half> m_kept;   // [sink + recent, D]
  std::vector<Half> m_real;   // [coeffs, D]
  std::vector<Half> m_imag;   // [imagBins, D]
};

}  // namespace kvwb::core::decode
