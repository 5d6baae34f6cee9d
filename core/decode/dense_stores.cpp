// Dense, evicted and reconstructed decode stores (see dense_stores.h). No torch.
#include "core/decode/dense_stores.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "core/decode/simd_kernels.h"

namespace kvwb::core::decode {
namespace {

template <class T>
constexpr simd::Codes codesOf() {
  return std::is_same_v<T, float> ? simd::Codes::F32 : simd::Codes::F16;
}

// Rows of a dense [rows, dims] array of T, optionally gathered through `index`.
template <class T>
simd::Rows denseRows(const T* data, std::int64_t rows, std::int64_t dims,
                     const std::int32_t* index = nullptr) {
  return {codesOf<T>(), data, static_cast<std::int64_t>(sizeof(T)) * dims, rows, dims, index};
}

float asFloat(float x) { return x; }
float asFloat(Half x) { return simd::halfToFloat(x); }

}  // namespace

template <class T>
DenseStore<T>::DenseStore(const FloatMatrix& values)
    : m_rows(values.rows), m_dims(values.cols), m_values(values.data.size()) {
  if constexpr (std::is_same_v<T, float>)
    m_values = values.data;
  else
    std::transform(values.data.begin(), values.data.end(), m_values.begin(), simd::floatToHalf);
}

template <class T>
std::string DenseStore<T>::name() const {
  return std::is_same_v<T, float> ? "dense float32" : "dense float16";
}

template <class T>
void DenseStore<T>::scores(const float* q, std::int64_t groups, float* s, DecodeScratch&) const {
  simd::dots(denseRows(data(), m_rows, m_dims), q, groups, m_dims, nullptr, s, m_rows);
}

template <class T>
void DenseStore<T>::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch&) const {
  simd::accumulate(denseRows(data(), m_rows, m_dims), p, groups, m_rows, nullptr, out, m_dims);
}

template <class T>
void DenseStore<T>::reconstructInto(float* out, DecodeScratch&) const {
  std::transform(m_values.begin(), m_values.end(), out, [](T x) { return asFloat(x); });
}

template class DenseStore<float>;
template class DenseStore<Half>;

EvictedStore::EvictedStore(std::shared_ptr<const DenseF16> cache, std::vector<std::int32_t> kept)
    : m_cache(std::move(cache)), m_kept(std::move(kept)) {
  if (!std::is_sorted(m_kept.begin(), m_kept.end()) ||
      (!m_kept.empty() && (m_kept.front() < 0 || m_kept.back() >= m_cache->rows())))
    throw std::invalid_argument("EvictedStore: kept rows must be ascending, within the cache's " +
                                std::to_string(m_cache->rows()));
}

std::string EvictedStore::name() const {
  return "eviction, " + std::to_string(m_kept.size()) + " of " + std::to_string(m_cache->rows()) + " rows";
}

double EvictedStore::bytes() const {
  return static_cast<double>(m_kept.size()) * (static_cast<double>(dims()) * sizeof(Half) + sizeof(std::int32_t));
}

void EvictedStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch&) const {
  const auto rows = denseRows(m_cache->data(), this->rows(), dims(), m_kept.data());
  simd::dots(rows, q, groups, dims(), nullptr, s, this->rows());
}

void EvictedStore::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch&) const {
  const auto rows = denseRows(m_cache->data(), this->rows(), dims(), m_kept.data());
  simd::accumulate(rows, p, groups, this->rows(), nullptr, out, dims());
}

void EvictedStore::reconstructInto(float* out, DecodeScratch&) const {
  const auto d = dims();
  for (std::size_t j = 0; j < m_kept.size(); ++j)
    simd::halfToFloat(m_cache->data() + m_kept[j] * d, d, out + static_cast<std::int64_t>(j) * d);
}

MaterialisedStore::MaterialisedStore(std::shared_ptr<const CacheSide> inner) : m_inner(std::move(inner)) {}

double MaterialisedStore::bytes() const {
  return m_inner->bytes() + 2.0 * static_cast<double>(rows() * dims()) * sizeof(float);
}

const float* MaterialisedStore::materialise(DecodeScratch& scratch) const {
  float* rowsOut = scratch.buffer(3, static_cast<std::size_t>(rows() * dims()));
  m_inner->reconstructInto(rowsOut, scratch);
  return rowsOut;
}

void MaterialisedStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const {
  simd::dots(denseRows(materialise(scratch), rows(), dims()), q, groups, dims(), nullptr, s, rows());
}

void MaterialisedStore::accumulate(const float* p, std::int64_t groups, float* out,
                                   DecodeScratch& scratch) const {
  simd::accumulate(denseRows(materialise(scratch), rows(), dims()), p, groups, rows(), nullptr, out, dims());
}

}  // namespace kvwb::core::decode
