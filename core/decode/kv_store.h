// One decode step of attention computed from a cache representation (issue 19): the G queries of
// one KV head's group against that head's keys and values, out = softmax(q K^T / sqrt(D)) V. A
// KeyStore gives the scores q K^T and a ValueStore the weighted sum p V straight from its
// representation: dense rows (dense_stores.h), low-rank factors (lowrank_store.h), KIVI codes
// (kivi_stores.h), Fourier coefficients (fourier_store.h), a SIREN (siren_store.h); each can
// also reconstruct the rows it attends to, against which the tests check it. Stores are
// immutable once built: any number of threads may attend with one, each with its own scratch.
//
//   LowRankStore keys(k, 32), values(v, 32);       // k, v: FloatMatrix [L, D]
//   DecodeScratch scratch;
//   attendStep(keys, values, q.data(), /*groups*/ 4, out.data(), scratch);  // q, out: [4, D]
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/project/project_types.h"

namespace kvwb::core::decode {

using Half = std::uint16_t;  // IEEE binary16 bits, as stored

// Reusable buffers of one attending thread, so a decode step allocates nothing once warm.
// Slots: 0 and 1 attendStep's (scores, scaled queries), 2 a store's temporaries, 3 a
// reconstruction that reconstruct-then-attend writes out.
class DecodeScratch {
 public:
  static constexpr std::size_t kSlots = 4;
  float* buffer(std::size_t slot, std::size_t floats);  // grows, never shrinks

 private:
  std::array<std::vector<float>, kSlots> m_buffers;
};

// What a key and a value representation share.
class CacheSide {
 public:
  virtual ~CacheSide() = default;
  virtual std::string name() const = 0;   // "dense float16", "low-rank r=32", ...
  virtual std::int64_t rows() const = 0;  // positions attended (the kept ones after eviction)
  virtual std::int64_t dims() const = 0;
  virtual double bytes() const = 0;  // read from memory by one decode step
  // The rows the kernels attend to, [rows, dims] row-major.
  virtual void reconstructInto(float* out, DecodeScratch& scratch) const = 0;
  FloatMatrix reconstruct() const;
};

class KeyStore : public virtual CacheSide {
 public:
  // s[g * rows() + j] = q_g . k_j for the `groups` query rows q [groups, dims].
  virtual void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const = 0;
};

class ValueStore : public virtual CacheSide {
 public:
  // out[g * dims() + d] += sum_j p[g * rows() + j] v_jd.
  virtual void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const = 0;
};

// out [groups, D] = softmax(q K^T / sqrt(D)) V for q [groups, D]. Throws std::invalid_argument
// when the two sides differ in rows or dims.
void attendStep(const KeyStore& keys, const ValueStore& values, const float* q, std::int64_t groups,
                float* out, DecodeScratch& scratch);

}  // namespace kvwb::core::decode
