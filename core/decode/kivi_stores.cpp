// KIVI decode stores (see kivi_stores.h): quantised with the compressors' group quantisation
// (LibTorch), attended with the vector primitives.
#include "core/decode/kivi_stores.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "core/compress/group_quant.h"
#include "core/decode/simd_kernels.h"
#include "core/decode/tensor_bits.h"

namespace kvwb::core::decode {
namespace {

simd::Codes codesOf(int bits) { return bits == 8 ? simd::Codes::U8 : simd::Codes::U4; }

void checkBits(int bits, const char* store) {
  if (bits != 8 && bits != 4)
    throw std::invalid_argument(std::string(store) + ": bits must be 8 or 4, got " + std::to_string(bits));
}

// Byte of value c within a row, and whether it sits in the high nibble (4 bits).
std::int64_t byteOf(const PackedCodes& p, std::int64_t c) { return p.bits == 8 ? c : c / 32 * 16 + c % 16; }
bool highNibble(const PackedCodes& p, std::int64_t c) { return p.bits == 4 && c % 32 >= 16; }

// codes: uint8 [rows, cols] in [0, 2^bits).
PackedCodes pack(const torch::Tensor& codes, int bits) {
  const auto c = codes.contiguous();
  PackedCodes p{bits, c.size(0), c.size(1), simd::rowBytes(codesOf(bits), c.size(1)), {}};
  p.data.assign(static_cast<std::size_t>(p.rows * p.rowBytes), 0);
  const auto* src = c.data_ptr<std::uint8_t>();
  for (std::int64_t r = 0; r < p.rows; ++r)
    for (std::int64_t k = 0; k < p.cols; ++k)
      p.data[r * p.rowBytes + byteOf(p, k)] |= src[r * p.cols + k] << (highNibble(p, k) ? 4 : 0);
  return p;
}

// Rows [first, first + count) of the codes, values [col, col + n) of each.
simd::Rows codeRows(const PackedCodes& p, std::int64_t first, std::int64_t count, std::int64_t col,
                    std::int64_t n) {
  return {codesOf(p.bits), p.data.data() + first * p.rowBytes + byteOf(p, col), p.rowBytes, count, n};
}

double storedBytes(const PackedCodes& p, const std::vector<Half>& scales, const std::vector<Half>& zeros) {
  return static_cast<double>(p.data.size() + (scales.size() + zeros.size()) * sizeof(Half));
}

std::string kiviName(const char* kind, int bits, std::int64_t group) {
  return std::string("KIVI INT") + std::to_string(bits) + " " + kind + " (group " + std::to_string(group) + ")";
}

}  // namespace

std::uint8_t PackedCodes::at(std::int64_t r, std::int64_t c) const {
  const auto b = data[r * rowBytes + byteOf(*this, c)];
  return bits == 8 ? b : highNibble(*this, c) ? b >> 4 : b & 15;
}

KiviKeyStore::KiviKeyStore(const FloatMatrix& keys, int bits, std::int64_t group)
    : m_group(group <= 0 || group > keys.rows ? keys.rows : group) {
  checkBits(bits, "KiviKeyStore");
  torch::NoGradGuard noGrad;
  const auto q = quantizeGroups(asTensor(keys).t(), bits, m_group);  // per channel: rows = dims
  m_codes = pack(q.codes.t(), bits);
  m_scales = halfBits(q.scales.t());
  m_zeros = halfBits(q.zeros.t());
}

std::string KiviKeyStore::name() const { return kiviName("keys per channel", m_codes.bits, m_group); }

double KiviKeyStore::bytes() const { return storedBytes(m_codes, m_scales, m_zeros); }

void KiviKeyStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const {
  const auto L = rows(), D = dims();
  float* scaled = scratch.buffer(2, static_cast<std::size_t>(groups * D + groups + 2 * D));
  float* offset = scaled + groups * D;
  float* scale = offset + groups;
  float* zero = scale + D;
  for (std::int64_t t0 = 0, t = 0; t0 < L; t0 += m_group, ++t) {
    simd::halfToFloat(m_scales.data() + t * D, D, scale);
    simd::halfToFloat(m_zeros.data() + t * D, D, zero);
    for (std::int64_t g = 0; g < groups; ++g) {
      const float* qg = q + g * D;
      offset[g] = std::inner_product(qg, qg + D, zero, 0.0f);
      std::transform(qg, qg + D, scale, scaled + g * D, std::multiplies<>());
    }
    simd::dots(codeRows(m_codes, t0, std::min(m_group, L - t0), 0, D), scaled, groups, D, offset, s + t0, L);
  }
}

void KiviKeyStore::reconstructInto(float* out, DecodeScratch&) const {
  const auto D = dims();
  for (std::int64_t j = 0; j < rows(); ++j)
    for (std::int64_t d = 0; d < D; ++d) {
      const auto k = (j / m_group) * D + d;
      out[j * D + d] = simd::halfToFloat(m_zeros[k]) + m_codes.at(j, d) * simd::halfToFloat(m_scales[k]);
    }
}

KiviValueStore::KiviValueStore(const FloatMatrix& values, int bits, std::int64_t group)
    : m_group(group <= 0 || group > values.cols ? values.cols : group) {
  checkBits(bits, "KiviValueStore");
  if (bits == 4 && m_group % 32 != 0 && m_group != values.cols)
    throw std::invalid_argument("KiviValueStore: a 4-bit group must be a multiple of 32 dims or the whole token, got " +
                                std::to_string(m_group));
  torch::NoGradGuard noGrad;
  const auto q = quantizeGroups(asTensor(values), bits, m_group);  // per token: rows = tokens
  m_codes = pack(q.codes, bits);
  m_scales = halfBits(q.scales.t());
  m_zeros = halfBits(q.zeros.t());
}

std::string KiviValueStore::name() const { return kiviName("values per token", m_codes.bits, m_group); }

double KiviValueStore::bytes() const { return storedBytes(m_codes, m_scales, m_zeros); }

void KiviValueStore::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const {
  const auto L = rows(), D = dims();
  float* zeroSum = scratch.buffer(2, static_cast<std::size_t>(groups));
  for (std::int64_t d0 = 0, c = 0; d0 < D; d0 += m_group, ++c) {
    const auto n = std::min(m_group, D - d0);
    simd::accumulate(codeRows(m_codes, 0, L, d0, n), p, groups, L, m_scales.data() + c * L, out + d0, D);
    const simd::Rows zeros{simd::Codes::F16, m_zeros.data() + c * L, 0, 1, L};
    simd::dots(zeros, p, groups, L, nullptr, zeroSum, 1);
    for (std::int64_t g = 0; g < groups; ++g)
      for (std::int64_t d = d0; d < d0 + n; ++d) out[g * D + d] += zeroSum[g];
  }
}

void KiviValueStore::reconstructInto(float* out, DecodeScratch&) const {
  const auto L = rows(), D = dims();
  for (std::int64_t j = 0; j < L; ++j)
    for (std::int64_t d = 0; d < D; ++d) {
      const auto k = (d / m_group) * L + j;
      out[j * D + d] = simd::halfToFloat(m_zeros[k]) + m_codes.at(j, d) * simd::halfToFloat(m_scales[k]);
    }
}

}  // namespace kvwb::core::decode
