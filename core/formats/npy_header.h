// Parser of the NumPy .npy header (format versions 1-3), shared by the .npy and .npz readers.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

#include "core/formats/tensor_file.h"

namespace kvwb::core {

// Limits on untrusted headers, each refused with an error naming it (see docs/IMPORT.md).
inline constexpr std::size_t kMaxNpyHeaderBytes = 65536;  // the dict text after the prefix
inline constexpr std::size_t kMaxNpyRank = 64;            // numpy 2's NPY_MAXDIMS
inline constexpr std::size_t kNpyPrefixBytes = 12;        // longest magic + version + length

struct NpyHeader {
  TensorInfo info;
  std::size_t dataOffset = 0;  // bytes from the start of the .npy stream to the array data
};

// Parses the header at the start of `bytes` (at least the whole header must be present);
// `totalSize` is the size of the whole .npy stream, checked against the shape.
// `file` and `name` only label errors. Throws InputError on any defect, including a
// Fortran-ordered (non C-contiguous) array and dtypes the workbench does not read.
NpyHeader parseNpyHeader(std::span<const std::byte> bytes, std::size_t totalSize,
                         const std::filesystem::path& file, const std::string& name);

}  // namespace kvwb::core
