// KIVI decode stores: keys quantised per channel, values per token (the "quant" method's axis
// "kivi"), 8- or 4-bit codes with a float16 scale and zero point per group (the group minimum;
// quantisation by core/compress/group_quant.h, so the codes are the method's). Dequantisation is
// fused into the dot products: keys fold each token group's scales into the query (q_d s_d) and
// its zero points into one offset per score (q . z); values weight each code row by p_j s_j and
// add sum_j p_j z_j once per output. Immutable once built; any thread.
#pragma once

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

// Codes of a [rows, cols] matrix, one row per token: 8-bit, or 4-bit in simd's blocks of 32.
struct PackedCodes {
  int bits = 8;
  std::int64_t rows = 0, cols = 0, rowBytes = 0;
  std::vector<std::uint8_t> data;
  std::uint8_t at(std::int64_t r, std::int64_t c) const;
};

class KiviKeyStore final : public KeyStore {
 public:
  // keys [L, D]; bits 8 or 4; group: tokens per group (0 = all of them).
  KiviKeyStore(const FloatMatrix& keys, int bits, std::int64_t group);
  std::string name() const override;
  std::int64_t rows() const override { return m_codes.rows; }
  std::int64_t dims() const override { return m_codes.cols; }
  double bytes() const override;
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  PackedCodes m_codes;
  std::int64_t m_group;
  std::vector<Half> m_scales, m_zeros;  // [token groups, D]
};

class KiviValueStore final : public ValueStore {
 public:
  // values [L, D]; bits 8 or 4; group: dims per group (0 = the whole token; a multiple of 32 at
  // 4 bits).
  KiviValueStore(const FloatMatrix& values, int bits, std::int64_t group);
  std::string name() const override;
  std::int64_t rows() const override { return m_codes.rows; }
  std::int64_t dims() const override { return m_codes.cols; }
  double bytes() const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  PackedCodes m_codes;
  std::int64_t m_group;
  std::vector<Half> m_scales, m_zeros;  // [dim groups, L]: each group's values token-contiguous
};

}  // namespace kvwb::core::decode
