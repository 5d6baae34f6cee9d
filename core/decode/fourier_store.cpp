// Fourier decode store (see fourier_store.h).
#include "core/decode/fourier_store.h"

#include <algorithm>
#include <stdexcept>

#include "core/decode/simd_kernels.h"
#include "core/decode/tensor_bits.h"

namespace kvwb::core::decode {
namespace {

simd::Rows halfRows(const Half* data, std::int64_t count, std::int64_t dims) {
  return {simd::Codes::F16, data, dims * static_cast<std::int64_t>(sizeof(Half)), count, dims};
}

}  // namespace

FourierStore::FourierStore(const FloatMatrix& values, std::int64_t sink, std::int64_t recent, std::int64_t coeffs)
    : m_rows(values.rows), m_dims(values.cols) {
  if (sink < 0 || recent < 0 || coeffs < 0)
    throw std::invalid_argument("FourierStore: sink, recent and coeffs must be >= 0");
  m_sink = std::min(m_rows, sink);
  m_recent = std::min(m_rows - m_sink, recent);
  m_middle = m_rows - m_sink - m_recent;
  m_coeffs = std::min(m_middle > 0 ? m_middle / 2 + 1 : 0, coeffs);
  const bool nyquist = m_middle % 2 == 0 && m_coeffs == m_middle / 2 + 1;
  m_imagBins = std::max<std::int64_t>(0, m_coeffs - 1 - (nyquist ? 1 : 0));
  torch::NoGradGuard noGrad;
  const auto x = asTensor(values);
  m_kept = halfBits(torch::cat({x.narrow(0, 0, m_sink), x.narrow(0, m_rows - m_recent, m_recent)}));
  if (m_coeffs > 0) {
    const auto bins = torch::fft::rfft(x.narrow(0, m_sink, m_middle), c10::nullopt, 0, "ortho").narrow(0, 0, m_coeffs);
    m_real = halfBits(torch::real(bins));
    m_imag = halfBits(torch::imag(bins).narrow(0, 1, m_imagBins));
  }
}

std::string FourierStore::name() const {
  return "Fourier k=" + std::to_string(m_coeffs) + " of " + std::to_string(m_middle) + " tokens, sink " +
         std::to_string(m_sink) + ", recent " + std::to_string(m_recent);
}

double FourierStore::bytes() const {
  return static_cast<double>(m_kept.size() + m_real.size() + m_imag.size()) * sizeof(Half);
}

void FourierStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const {
  const auto D = m_dims, L = m_rows;
  simd::dots(halfRows(m_kept.data(), m_sink, D), q, groups, D, nullptr, s, L);
  simd::dots(halfRows(m_kept.data() + m_sink * D, m_recent, D), q, groups, D, nullptr, s + m_sink + m_middle, L);
  if (m_middle == 0) return;
  float* z = scratch.buffer(2, static_cast<std::size_t>(2 * groups * m_coeffs));  // [G, k] real, imaginary
  float* zImag = z + groups * m_coeffs;
  std::fill(zImag, zImag + groups * m_coeffs, 0.0f);
  simd::dots(halfRows(m_real.data(), m_coeffs, D), q, groups, D, nullptr, z, m_coeffs);
  simd::dots(halfRows(m_imag.data(), m_imagBins, D), q, groups, D, nullptr, zImag + 1, m_coeffs);
  torch::NoGradGuard noGrad;
  auto middle = torch::from_blob(s, {groups, L}).narrow(1, m_sink, m_middle);
  if (m_coeffs == 0) {
    middle.zero_();
    return;
  }
  const auto spectrum = torch::complex(torch::from_blob(z, {groups, m_coeffs}), torch::from_blob(zImag, {groups, m_coeffs}));
  middle.copy_(torch::fft::irfft(spectrum, m_middle, 1, "ortho"));
}

void FourierStore::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const {
  const auto D = m_dims, L = m_rows;
  simd::accumulate(halfRows(m_kept.data(), m_sink, D), p, groups, L, nullptr, out, D);
  simd::accumulate(halfRows(m_kept.data() + m_sink * D, m_recent, D), p + m_sink + m_middle, groups, L, nullptr, out, D);
  if (m_coeffs == 0) return;
  torch::NoGradGuard noGrad;
  const auto middle = torch::from_blob(const_cast<float*>(p), {groups, L}).narrow(1, m_sink, m_middle);
  const auto bins = torch::fft::rfft(middle, c10::nullopt, 1, "ortho").narrow(1, 0, m_coeffs);
  // Weights of conj(P) C: 2 for a bin standing for itself and its mirror, 1 for DC and Nyquist.
  auto weights = torch::full({1, m_coeffs}, 2.0f);
  weights[0][0] = 1.0f;
  if (m_middle % 2 == 0 && m_coeffs == m_middle / 2 + 1) weights[0][m_coeffs - 1] = 1.0f;
  float* a = scratch.buffer(2, static_cast<std::size_t>(2 * groups * m_coeffs));  // [G, k] real, imaginary
  float* aImag = a + groups * m_coeffs;
  torch::from_blob(a, {groups, m_coeffs}).copy_(torch::real(bins) * weights);
  torch::from_blob(aImag, {groups, m_coeffs}).copy_(torch::imag(bins) * weights);
  simd::accumulate(halfRows(m_real.data(), m_coeffs, D), a, groups, m_coeffs, nullptr, out, D);
  simd::accumulate(halfRows(m_imag.data(), m_imagBins, D), aImag + 1, groups, m_coeffs, nullptr, out, D);
}

void FourierStore::reconstructInto(float* out, DecodeScratch&) const {
  const auto D = m_dims;
  simd::halfToFloat(m_kept.data(), m_sink * D, out);
  simd::halfToFloat(m_kept.data() + m_sink * D, m_recent * D, out + (m_sink + m_middle) * D);
  if (m_middle == 0) return;
  torch::NoGradGuard noGrad;
  auto middle = torch::from_blob(out + m_sink * D, {m_middle, D});
  if (m_coeffs == 0) {
    middle.zero_();
    return;
  }
  std::vector<float> real(m_real.size()), imag(m_coeffs * D, 0.0f);
  simd::halfToFloat(m_real.data(), static_cast<std::int64_t>(m_real.size()), real.data());
  simd::halfToFloat(m_imag.data(), static_cast<std::int64_t>(m_imag.size()), imag.data() + D);
  const auto spectrum = torch::complex(torch::from_blob(real.data(), {m_coeffs, D}), torch::from_blob(imag.data(), {m_coeffs, D}));
  middle.copy_(torch::fft::irfft(spectrum, m_middle, 0, "ortho"));
}

}  // namespace kvwb::core::decode
