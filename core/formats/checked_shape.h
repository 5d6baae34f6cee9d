// Validation of tensor shapes and sizes read from untrusted headers: non-negative dims, no
// overflow, a sane element limit, and declared bytes that the stored bytes can really hold.
// Used by every dump reader and the project reader, always before allocating.
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

// Largest decompression ratio believed for compressed data (.npz members, filtered HDF5 datasets):
// deflate's own limit. A size field claiming more is corrupt or hostile.
inline constexpr std::uint64_t kMaxCompressionRatio = 1032;

// Throws InputError naming `file` and `what` when `declared` bytes cannot come from `stored` bytes
// in the file: more than `stored` for raw data, more than kMaxCompressionRatio x `stored` for
// compressed data.
void checkStoredBytes(const std::filesystem::path& file, const std::string& what,
                      std::uint64_t declared, std::uint64_t stored, bool compressed);

}  // namespace kvwb::core
