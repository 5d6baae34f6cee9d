// Vector primitives of the decode kernels (see simd_kernels.h). The helpers are always inlined
// into the target_clones entry points, so each clone compiles them for its own instruction set.
#include "core/decode/simd_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kvwb::core::decode::simd {
namespace {

#if defined(__x86_64__)
#define KVWB_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KVWB_SIMD_CLONES
#endif
#define KVWB_INLINE [[gnu::always_inline]] inline

typedef float F8 __attribute__((vector_size(32)));
typedef float F4 __attribute__((vector_size(16)));
typedef std::int32_t I8 __attribute__((vector_size(32)));
typedef std::uint16_t H8 __attribute__((vector_size(16)));
typedef std::uint8_t B16 __attribute__((vector_size(16)));
typedef std::uint16_t H16 __attribute__((vector_size(32)));
typedef std::uint64_t Q2 __attribute__((vector_size(16)));

constexpr std::int64_t kChunk = 512;  // values of a long row handled at a time (a multiple of 32)

template <class V, class T>
KVWB_INLINE V load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
KVWB_INLINE void store(T* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// float16 -> float32 by moving the exponent and mantissa into place and rescaling by 2^112
// (exact for normal and subnormal values; the cache holds no infinities or NaNs).
KVWB_INLINE F8 halves(const Half* p) {
  const I8 x = __builtin_convertvector(load<H8>(p), I8);
  const F8 magnitude = (F8)((x & 0x7fff) << 13) * 0x1p112f;
  return (F8)((I8)magnitude | ((x & 0x8000) << 16));
}

KVWB_INLINE float hsum(F8 v) {
  F4 s = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  s += __builtin_shufflevector(s, s, 2, 3, 0, 1);
  s += __builtin_shufflevector(s, s, 1, 0, 3, 2);
  return s[0];
}

// 8 bytes zero-extended to int32 (through 16 bits: GCC widens a 64-bit vector element by element).
KVWB_INLINE I8 widenBytes(const std::uint8_t* p) {
  std::uint64_t bits;
  std::memcpy(&bits, p, 8);
  const H16 words = __builtin_convertvector((B16)(Q2{bits, 0}), H16);
  return __builtin_convertvector(__builtin_shufflevector(words, words, 0, 1, 2, 3, 4, 5, 6, 7), I8);
}

// Values [i, i + 8) of a row as floats, i a multiple of 8.
template <Codes C>
KVWB_INLINE F8 load8(const std::uint8_t* row, std::int64_t i) {
  if constexpr (C == Codes::F32) {
    return load<F8>(reinterpret_cast<const float*>(row) + i);
  } else if constexpr (C == Codes::F16) {
    return halves(reinterpret_cast<const Half*>(row) + i);
  } else if constexpr (C == Codes::U8) {
    return __builtin_convertvector(widenBytes(row + i), F8);
  } else {
    const I8 codes = widenBytes(row + i / 32 * 16 + i % 16);
    return __builtin_convertvector((codes >> static_cast<int>(i & 16) / 4) & 15, F8);  // high nibbles from 16 on
  }
}

// One value of a row (the tails of rows whose length is no multiple of 8).
template <Codes C>
KVWB_INLINE float loadOne(const std::uint8_t* row, std::int64_t i) {
  if constexpr (C == Codes::F32) return reinterpret_cast<const float*>(row)[i];
  if constexpr (C == Codes::F16) return halfToFloat(reinterpret_cast<const Half*>(row)[i]);
  if constexpr (C == Codes::U8) return row[i];
  const std::uint8_t b = row[i / 32 * 16 + i % 16];
  return i % 32 < 16 ? b & 15 : b >> 4;
}

KVWB_INLINE const std::uint8_t* rowAt(const Rows& r, std::int64_t j) {
  const auto stored = r.index ? r.index[j] : j;
  return static_cast<const std::uint8_t*>(r.base) + stored * r.stride;
}

// Rows j .. j + R against G queries, values [i0, end): G x R accumulators in registers, so G R
// independent chains of multiply-adds hide their latency.
template <Codes C, int G, int R>
KVWB_INLINE void dotsRows(const Rows& r, std::int64_t j, const float* q, std::int64_t qStride, const float* offset,
                          float* s, std::int64_t sStride, std::int64_t i0, std::int64_t end, std::int64_t vectorEnd) {
  const std::uint8_t* rows[R];
  for (int k = 0; k < R; ++k) {
    rows[k] = rowAt(r, j + k);
    if (r.index && j + k + 4 * R < r.count) __builtin_prefetch(rowAt(r, j + k + 4 * R));
  }
  F8 acc[G][R] = {};
  for (std::int64_t i = i0; i < vectorEnd; i += 8) {
    F8 x[R];
    for (int k = 0; k < R; ++k) x[k] = load8<C>(rows[k], i);
    for (int g = 0; g < G; ++g) {
      const F8 qv = load<F8>(q + g * qStride + i);
      for (int k = 0; k < R; ++k) acc[g][k] += qv * x[k];
    }
  }
  for (int g = 0; g < G; ++g)
    for (int k = 0; k < R; ++k) {
      float d = hsum(acc[g][k]);
      for (auto i = vectorEnd; i < end; ++i) d += q[g * qStride + i] * loadOne<C>(rows[k], i);
      float& out = s[g * sStride + j + k];
      out = i0 == 0 ? d + (offset ? offset[g] : 0.0f) : out + d;
    }
}

// G queries at once. Long rows (low-rank factors stored along the tokens) are taken kChunk values
// at a time, so the partial results stay in cache; a token's D values are one chunk.
template <Codes C, int G>
KVWB_INLINE void dotsFixed(const Rows& r, const float* q, std::int64_t qStride, const float* offset, float* s,
                           std::int64_t sStride) {
  constexpr int R = 8 / G;
  const std::int64_t whole = r.n / 8 * 8;
  for (std::int64_t i0 = 0; i0 < r.n; i0 += kChunk) {
    const auto end = std::min(r.n, i0 + kChunk), vectorEnd = std::min(end, whole);
    std::int64_t j = 0;
    for (; j + R <= r.count; j += R) dotsRows<C, G, R>(r, j, q, qStride, offset, s, sStride, i0, end, vectorEnd);
    for (; j < r.count; ++j) dotsRows<C, G, 1>(r, j, q, qStride, offset, s, sStride, i0, end, vectorEnd);
  }
}

// R rows at a time into G outputs: each output vector is loaded and stored once per R rows.
template <Codes C, int G, int R>
KVWB_INLINE void accumulateRows(const Rows& r, std::int64_t j, const float* p, std::int64_t pStride, const Half* scale,
                                float* out, std::int64_t outStride, std::int64_t i0, std::int64_t end,
                                std::int64_t vectorEnd) {
  const std::uint8_t* rows[R];
  float a[G][R];
  for (int k = 0; k < R; ++k) {
    rows[k] = rowAt(r, j + k);
    if (r.index && j + k + 4 * R < r.count) __builtin_prefetch(rowAt(r, j + k + 4 * R));
    const float rowScale = scale ? halfToFloat(scale[j + k]) : 1.0f;
    for (int g = 0; g < G; ++g) a[g][k] = p[g * pStride + j + k] * rowScale;
  }
  for (std::int64_t i = i0; i < vectorEnd; i += 8) {
    F8 x[R];
    for (int k = 0; k < R; ++k) x[k] = load8<C>(rows[k], i);
    for (int g = 0; g < G; ++g) {
      F8 o = load<F8>(out + g * outStride + i);
      for (int k = 0; k < R; ++k) o += a[g][k] * x[k];
      store(out + g * outStride + i, o);
    }
  }
  for (auto i = vectorEnd; i < end; ++i)
    for (int k = 0; k < R; ++k) {
      const float x = loadOne<C>(rows[k], i);
      for (int g = 0; g < G; ++g) out[g * outStride + i] += a[g][k] * x;
    }
}

template <Codes C, int G>
KVWB_INLINE void accumulateFixed(const Rows& r, const float* p, std::int64_t pStride, const Half* scale, float* out,
                                 std::int64_t outStride) {
  constexpr int R = 4;
  const std::int64_t whole = r.n / 8 * 8;
  for (std::int64_t i0 = 0; i0 < r.n; i0 += kChunk) {
    const auto end = std::min(r.n, i0 + kChunk), vectorEnd = std::min(end, whole);
    std::int64_t j = 0;
    for (; j + R <= r.count; j += R)
      accumulateRows<C, G, R>(r, j, p, pStride, scale, out, outStride, i0, end, vectorEnd);
    for (; j < r.count; ++j) accumulateRows<C, G, 1>(r, j, p, pStride, scale, out, outStride, i0, end, vectorEnd);
  }
}

// The queries in blocks of 8, 4, 2 and 1, each block's accumulators in registers (plain
// branches rather than a generic lambda, so everything inlines into each clone).
template <Codes C>
KVWB_INLINE void dotsOf(const Rows& r, const float* q, std::int64_t groups, std::int64_t qStride,
                        const float* offset, float* s, std::int64_t sStride) {
  for (std::int64_t g0 = 0; g0 < groups;) {
    const auto left = groups - g0;
    const float* qg = q + g0 * qStride;
    const float* og = offset ? offset + g0 : nullptr;
    float* sg = s + g0 * sStride;
    if (left >= 8) dotsFixed<C, 8>(r, qg, qStride, og, sg, sStride), g0 += 8;
    else if (left >= 4) dotsFixed<C, 4>(r, qg, qStride, og, sg, sStride), g0 += 4;
    else if (left >= 2) dotsFixed<C, 2>(r, qg, qStride, og, sg, sStride), g0 += 2;
    else dotsFixed<C, 1>(r, qg, qStride, og, sg, sStride), g0 += 1;
  }
}

template <Codes C>
KVWB_INLINE void accumulateOf(const Rows& r, const float* p, std::int64_t groups, std::int64_t pStride,
                              const Half* scale, float* out, std::int64_t outStride) {
  for (std::int64_t g0 = 0; g0 < groups;) {
    const auto left = groups - g0;
    const float* pg = p + g0 * pStride;
    float* og = out + g0 * outStride;
    if (left >= 8) accumulateFixed<C, 8>(r, pg, pStride, scale, og, outStride), g0 += 8;
    else if (left >= 4) accumulateFixed<C, 4>(r, pg, pStride, scale, og, outStride), g0 += 4;
    else if (left >= 2) accumulateFixed<C, 2>(r, pg, pStride, scale, og, outStride), g0 += 2;
    else accumulateFixed<C, 1>(r, pg, pStride, scale, og, outStride), g0 += 1;
  }
}

// e^x for x <= 0 (Cephes expf): x = k ln2 + r, |r| <= ln2 / 2, e^r by a degree-6 polynomial,
// 2^k through the exponent bits; x is clamped at -87 (e^-87 ~ 1.6e-38, never a denormal).
KVWB_INLINE F8 expNonPositive(F8 x) {
  x = x < -87.0f ? F8{} - 87.0f : x;
  const I8 k = __builtin_convertvector(x * 1.44269504088896341f - 0.5f, I8);  // round, x <= 0
  const F8 kf = __builtin_convertvector(k, F8);
  const F8 r = x - kf * 0.693359375f + kf * 2.12194440e-4f;
  F8 poly = F8{} + 1.9875691500e-4f;
  for (const float c : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f,
                        5.0000001201e-1f})
    poly = poly * r + c;
  return (poly * r * r + r + 1.0f) * (F8)((k + 127) << 23);
}

// Up to 8 values of a row's tail, the rest of the vector `fill`.
KVWB_INLINE F8 loadTail(const float* p, std::int64_t len, float fill) {
  F8 v = F8{} + fill;
  for (std::int64_t i = 0; i < len; ++i) v[i] = p[i];
  return v;
}

KVWB_INLINE void softmaxRow(float* s, std::int64_t n) {
  const std::int64_t whole = n / 8 * 8;
  F8 vmax = F8{} - INFINITY;
  for (std::int64_t i = 0; i < whole; i += 8) {
    const F8 v = load<F8>(s + i);
    vmax = v > vmax ? v : vmax;
  }
  float m = -INFINITY;
  for (int i = 0; i < 8; ++i) m = std::max(m, vmax[i]);
  for (std::int64_t i = whole; i < n; ++i) m = std::max(m, s[i]);
  F8 vsum = {};
  for (std::int64_t i = 0; i < whole; i += 8) {
    const F8 e = expNonPositive(load<F8>(s + i) - m);
    store(s + i, e);
    vsum += e;
  }
  float sum = hsum(vsum);
  if (whole < n) {
    const F8 e = expNonPositive(loadTail(s + whole, n - whole, m) - m);
    for (std::int64_t i = whole; i < n; ++i) s[i] = e[i - whole], sum += e[i - whole];
  }
  const float inv = 1.0f / sum;
  for (std::int64_t i = 0; i < whole; i += 8) store(s + i, load<F8>(s + i) * inv);
  for (std::int64_t i = whole; i < n; ++i) s[i] *= inv;
}

}  // namespace

std::int64_t rowBytes(Codes codes, std::int64_t n) {
  switch (codes) {
    case Codes::F32: return 4 * n;
    case Codes::F16: return 2 * n;
    case Codes::U8: return n;
    case Codes::U4: return (n + 31) / 32 * 16;
  }
  return 0;
}

KVWB_SIMD_CLONES
void dots(const Rows& rows, const float* q, std::int64_t groups, std::int64_t qStride,
          const float* offset, float* s, std::int64_t sStride) {
  switch (rows.codes) {
    case Codes::F32: return dotsOf<Codes::F32>(rows, q, groups, qStride, offset, s, sStride);
    case Codes::F16: return dotsOf<Codes::F16>(rows, q, groups, qStride, offset, s, sStride);
    case Codes::U8: return dotsOf<Codes::U8>(rows, q, groups, qStride, offset, s, sStride);
    case Codes::U4: return dotsOf<Codes::U4>(rows, q, groups, qStride, offset, s, sStride);
  }
}

KVWB_SIMD_CLONES
void accumulate(const Rows& rows, const float* p, std::int64_t groups, std::int64_t pStride,
                const Half* scale, float* out, std::int64_t outStride) {
  switch (rows.codes) {
    case Codes::F32: return accumulateOf<Codes::F32>(rows, p, groups, pStride, scale, out, outStride);
    case Codes::F16: return accumulateOf<Codes::F16>(rows, p, groups, pStride, scale, out, outStride);
    case Codes::U8: return accumulateOf<Codes::U8>(rows, p, groups, pStride, scale, out, outStride);
    case Codes::U4: return accumulateOf<Codes::U4>(rows, p, groups, pStride, scale, out, outStride);
  }
}

KVWB_SIMD_CLONES
void softmaxRows(float* s, std::int64_t groups, std::int64_t n, std::int64_t sStride) {
  for (std::int64_t g = 0; g < groups; ++g) softmaxRow(s + g * sStride, n);
}

KVWB_SIMD_CLONES
double sumFloats(const float* x, std::int64_t n) {
  F8 acc[4] = {};
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k) acc[k] += load<F8>(x + i + 8 * k);
  double s = hsum(acc[0] + acc[1] + acc[2] + acc[3]);
  for (; i < n; ++i) s += x[i];
  return s;
}

KVWB_SIMD_CLONES
void halfToFloat(const Half* h, std::int64_t n, float* out) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) store(out + i, halves(h + i));
  for (; i < n; ++i) out[i] = halfToFloat(h[i]);
}

float halfToFloat(Half h) {
  const std::uint32_t magnitude = static_cast<std::uint32_t>(h & 0x7fff) << 13;
  float f;
  std::memcpy(&f, &magnitude, 4);
  f = (h & 0x7c00) == 0x7c00 ? ((h & 0x3ff) ? NAN : INFINITY) : f * 0x1p112f;
  return (h & 0x8000) ? -f : f;
}

Half floatToHalf(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const auto sign = static_cast<Half>((x >> 16) & 0x8000);
  std::uint32_t magnitude = x & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00;   // NaN
  if (magnitude >= 0x477ff000) return sign | 0x7c00;  // rounds past 65504: infinity
  if (magnitude < 0x38800000) {                       // below 2^-14: subnormal steps of 2^-24
    float a;
    std::memcpy(&a, &magnitude, 4);
    return sign | static_cast<Half>(std::nearbyint(a * 0x1p24f));
  }
  // Re-bias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
  magnitude += 0xc8000fffu + ((magnitude >> 13) & 1);
  return sign | static_cast<Half>(magnitude >> 13);
}

}  // namespace kvwb::core::decode::simd
