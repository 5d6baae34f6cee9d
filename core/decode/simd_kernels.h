// Vector primitives of the decode kernels (internal to core/decode): dot products and weighted
// sums of float32 query rows against cache rows stored as float32, float16 or 8/4-bit codes, a
// softmax, and a streaming sum (the bandwidth probe). Every entry point is compiled twice, for
// x86-64-v3 (AVX2, FMA, F16C) and for the baseline, and the loader picks one (GCC
// target_clones); written with GCC vector extensions, no intrinsics, no torch. Pure; any thread.
#pragma once

#include <cstdint>

namespace kvwb::core::decode::simd {

using Half = std::uint16_t;  // IEEE binary16 bits

// How a row's values are stored. U4: blocks of 32 values in 16 bytes, byte b holding value b in
// its low nibble and value b + 16 in its high nibble, a row's last block zero-padded (so 16 bytes
// load and unpack into 32 floats at once).
enum class Codes { F32, F16, U8, U4 };
std::int64_t rowBytes(Codes codes, std::int64_t n);  // bytes of a row of n values

// `count` rows of `n` values: row j starts at base + (index ? index[j] : j) * stride bytes. A
// sub-row of U4 codes must start at a multiple of 32 values.
struct Rows {
  Codes codes = Codes::F32;
  const void* base = nullptr;
  std::int64_t stride = 0, count = 0, n = 0;
  const std::int32_t* index = nullptr;  // a gather of kept rows
};

// s[g * sStride + j] = q_g . row_j + (offset ? offset[g] : 0), q_g = q + g * qStride, for
// g < groups and j < rows.count.
void dots(const Rows& rows, const float* q, std::int64_t groups, std::int64_t qStride,
          const float* offset, float* s, std::int64_t sStride);

// out[g * outStride + i] += sum_j p[g * pStride + j] * (scale ? scale[j] : 1) * row_j[i].
void accumulate(const Rows& rows, const float* p, std::int64_t groups, std::int64_t pStride,
                const Half* scale, float* out, std::int64_t outStride);

// Each of the `groups` rows of s (n values, sStride apart) replaced by its softmax. The
// exponential is Cephes' expf polynomial (relative error ~2e-7), vectorised by hand: LibTorch
// has one, but these kernels stay free of it.
void softmaxRows(float* s, std::int64_t groups, std::int64_t n, std::int64_t sStride);

// The sum of n floats, read once (the stream bandwidth probe).
double sumFloats(const float* x, std::int64_t n);

float halfToFloat(Half h);
Half floatToHalf(float f);  // round to nearest even; overflow to infinity
void halfToFloat(const Half* h, std::int64_t n, float* out);

}  // namespace kvwb::core::decode::simd
