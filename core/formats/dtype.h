// Element types found in KV dumps and checkpoints, their sizes and conversion to float.
// Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvwb::core {

enum class DType { F16, BF16, F32, F64, I8, I16, I32, I64, U8, Bool };

std::size_t dtypeSize(DType t);
std::string dtypeName(DType t);  // "float16", "bfloat16", "float32", ...
bool isFloating(DType t);

// Safetensors spelling: "F16", "BF16", "F32", ...; nullopt when unknown.
std::optional<DType> dtypeFromSafetensors(std::string_view s);
// NumPy descr: "<f2", "<f4", "<f8", "|i1", "<i4", ...; nullopt when unknown or big-endian.
std::optional<DType> dtypeFromNumpyDescr(std::string_view s);

// Converts n elements of a floating type to float32 (exact for f16/bf16; rounds f64).
void convertToFloat(DType t, const void* src, std::size_t n, float* dst);

// Index of the first NaN or Inf among n floating elements, or -1.
std::int64_t findNonFinite(DType t, const void* src, std::size_t n);

}  // namespace kvwb::core
