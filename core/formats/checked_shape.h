// Validation of tensor shapes read from untrusted headers: non-negative dims, no overflow,
// a sane element limit. Used by every dump reader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kvwb::core {

// Largest tensor the workbench accepts (2^40 elements, far beyond any KV cache).
inline constexpr std::int64_t kMaxTensorElements = std::int64_t{1} << 40;

// Byte size of `shape` x `elementSize`; throws InputError naming `file` and `tensor` when a
// dimension is negative or the product overflows or exceeds kMaxTensorElements.
std::uint64_t checkedByteSize(const std::filesystem::path& file, const std::string& tensor,
                              const std::vector<std::int64_t>& shape, std::size_t elementSize);

}  // namespace kvwb::core
