// Dense decode stores: the cache as float32 or float16 rows (the baselines), eviction as a gather
// of the kept rows of a float16 cache, and reconstruct-then-attend over any store (its rows
// written out as float32, then attended densely). Immutable once built; any thread (kv_store.h).
#pragma once

#include <memory>

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

// T = float (float32) or Half (float16, rounded to nearest even).
template <class T>
class DenseStore final : public KeyStore, public ValueStore {
 public:
  explicit DenseStore(const FloatMatrix& values);
  std::string name() const override;
  std::int64_t rows() const override { return m_rows; }
  std::int64_t dims() const override { return m_dims; }
  double bytes() const override { return static_cast<double>(m_values.size() * sizeof(T)); }
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;
  const T* data() const { return m_values.data(); }

 private:
  std::int64_t m_rows, m_dims;
  std::vector<T> m_values;
};
using DenseF32 = DenseStore<float>;
using DenseF16 = DenseStore<Half>;

// The rows `kept` (ascending, each in [0, cache rows)) of a float16 cache: the evicted ones are
// out of attention. A step reads the kept rows and their int32 indices.
class EvictedStore final : public KeyStore, public ValueStore {
 public:
  EvictedStore(std::shared_ptr<const DenseF16> cache, std::vector<std::int32_t> kept);
  std::string name() const override;
  std::int64_t rows() const override { return static_cast<std::int64_t>(m_kept.size()); }
  std::int64_t dims() const override { return m_cache->dims(); }
  double bytes() const override;
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  std::shared_ptr<const DenseF16> m_cache;
  std::vector<std::int32_t> m_kept;
};

// Reconstruct-then-attend: every step reconstructs the inner store's rows into scratch slot 3
// (float32) and attends to them densely. Reads the representation, writes and reads back the rows.
class MaterialisedStore final : public KeyStore, public ValueStore {
 public:
  explicit MaterialisedStore(std::shared_ptr<const CacheSide> inner);
  std::string name() const override { return m_inner->name() + ", reconstructed"; }
  std::int64_t rows() const override { return m_inner->rows(); }
  std::int64_t dims() const override { return m_inner->dims(); }
  double bytes() const override;
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override {
    m_inner->reconstructInto(out, scratch);
  }

 private:
  const float* materialise(DecodeScratch& scratch) const;
  std::shared_ptr<const CacheSide> m_inner;
};

}  // namespace kvwb::core::decode
