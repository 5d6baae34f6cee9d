// The decode step over any pair of stores (see kv_store.h).
#include "core/decode/kv_store.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/decode/simd_kernels.h"

namespace kvwb::core::decode {

float* DecodeScratch::buffer(std::size_t slot, std::size_t floats) {
  auto& b = m_buffers.at(slot);
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

FloatMatrix CacheSide::reconstruct() const {
  FloatMatrix m{rows(), dims(), std::vector<float>(static_cast<std::size_t>(rows() * dims()))};
  DecodeScratch scratch;
  reconstructInto(m.data.data(), scratch);
  return m;
}

void attendStep(const KeyStore& keys, const ValueStore& values, const float* q, std::int64_t groups,
                float* out, DecodeScratch& scratch) {
  const auto n = keys.rows(), d = keys.dims();
  if (values.rows() != n || values.dims() != d)
    throw std::invalid_argument("attendStep: keys (" + keys.name() + ", " + std::to_string(n) + " x " +
                                std::to_string(d) + ") and values (" + values.name() + ", " +
                                std::to_string(values.rows()) + " x " + std::to_string(values.dims()) +
                                ") differ in shape");
  const auto queryValues = static_cast<std::size_t>(groups * d);
  float* scaled = scratch.buffer(1, queryValues);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  std::transform(q, q + queryValues, scaled, [scale](float x) { return x * scale; });
  float* s = scratch.buffer(0, static_cast<std::size_t>(groups * n));
  keys.scores(scaled, groups, s, scratch);
  simd::softmaxRows(s, groups, n, n);
  std::fill(out, out + queryValues, 0.0f);
  values.accumulate(s, groups, out, scratch);
}

}  // namespace kvwb::core::decode
