// Element types: names, sizes, float conversion via Eigen's half and bfloat16.
#include "core/formats/dtype.h"

#include <Eigen/Core>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace kvwb::core {

std::size_t dtypeSize(DType t) {
  switch (t) {
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::F32: case DType::I32: return 4;
    case DType::F64: case DType::I64: return 8;
    case DType::I8: case DType::U8: case DType::Bool: return 1;
  }
  return 0;
}

std::string dtypeName(DType t) {
  switch (t) {
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I8: return "int8";
    case DType::I16: return "int16";
    case DType::I32: return "int32";
    case DType::I64: return "int64";
    case DType::U8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "?";
}

bool isFloating(DType t) {
  return t == DType::F16 || t == DType::BF16 || t == DType::F32 || t == DType::F64;
}

std::optional<DType> dtypeFromSafetensors(std::string_view s) {
  if (s == "F16") return DType::F16;
  if (s == "BF16") return DType::BF16;
  if (s == "F32") return DType::F32;
  if (s == "F64") return DType::F64;
  if (s == "I8") return DType::I8;
  if (s == "I16") return DType::I16;
  if (s == "I32") return DType::I32;
  if (s == "I64") return DType::I64;
  if (s == "U8") return DType::U8;
  if (s == "BOOL") return DType::Bool;
  return std::nullopt;
}

std::optional<DType> dtypeFromNumpyDescr(std::string_view s) {
  if (s.size() < 3 || s[0] == '>') return std::nullopt;  // big-endian: not supported
  const std::string_view code = s.substr(1);
  if (code == "f2") return DType::F16;
  if (code == "f4") return DType::F32;
  if (code == "f8") return DType::F64;
  if (code == "i1") return DType::I8;
  if (code == "i2") return DType::I16;
  if (code == "i4") return DType::I32;
  if (code == "i8") return DType::I64;
  if (code == "u1") return DType::U8;
  if (code == "b1") return DType::Bool;
  return std::nullopt;
}

namespace {
// Element i of an array of T at `src`, which need not be aligned for T (a .npy header of any
// length puts the data at any offset of a mapped file).
template <typename T>
T loadUnaligned(const void* src, std::size_t i) {
  T v;
  std::memcpy(&v, static_cast<const std::byte*>(src) + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T, typename F>
void forEachFloat(DType t, const void* src, std::size_t n, F&& f) {
  for (std::size_t i = 0; i < n; ++i) f(i, static_cast<float>(loadUnaligned<T>(src, i)));
}

template <typename F>
void visitFloats(DType t, const void* src, std::size_t n, F&& f) {
  switch (t) {
    case DType::F16: return forEachFloat<Eigen::half>(t, src, n, f);
    case DType::BF16: return forEachFloat<Eigen::bfloat16>(t, src, n, f);
    case DType::F32: return forEachFloat<float>(t, src, n, f);
    case DType::F64: return forEachFloat<double>(t, src, n, f);
    default: throw std::invalid_argument("not a floating dtype: " + dtypeName(t));
  }
}
}  // namespace

void convertToFloat(DType t, const void* src, std::size_t n, float* dst) {
  visitFloats(t, src, n, [dst](std::size_t i, float v) { dst[i] = v; });
}

std::int64_t findNonFinite(DType t, const void* src, std::size_t n) {
  if (t == DType::F32) {  // hot path for large dumps: branch-free scan, then locate
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(loadUnaligned<float>(src, i))) return static_cast<std::int64_t>(i);
    return -1;
  }
  if (t == DType::F16 || t == DType::BF16) {  // exponent bits all ones <=> NaN or Inf
    const std::uint16_t mask = t == DType::F16 ? 0x7C00 : 0x7F80;
    for (std::size_t i = 0; i < n; ++i)
      if ((loadUnaligned<std::uint16_t>(src, i) & mask) == mask) return static_cast<std::int64_t>(i);
    return -1;
  }
  std::int64_t found = -1;
  visitFloats(t, src, n, [&found](std::size_t i, float v) {
    if (found < 0 && !std::isfinite(v)) found = static_cast<std::int64_t>(i);
  });
  return found;
}

}  // namespace kvwb::core
