// Overflow-safe shape validation and declared-versus-stored size checks for untrusted files.
#include "core/formats/checked_shape.h"

#include "core/base/errors.h"
#include "core/formats/tensor_file.h"

namespace kvwb::core {

std::uint64_t checkedByteSize(const std::filesystem::path& file, const std::string& tensor,
                              const std::vector<std::int64_t>& shape, std::size_t elementSize) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw InputError(file, "tensor '" + tensor + "' has a negative dimension " +
                                          shapeString(shape));
    if (d != 0 && (__builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements))
      throw InputError(file, "tensor '" + tensor + "' shape " + shapeString(shape) +
                                 " is oversized (more than 2^40 elements)");
  }
  for (auto d : shape)
    if (d == 0) n = 0;
  return static_cast<std::uint64_t>(n) * elementSize;
}

void checkStoredBytes(const std::filesystem::path& file, const std::string& what,
                      std::uint64_t declared, std::uint64_t stored, bool compressed) {
  if (!compressed && declared > stored)
    throw InputError(file, what + " declares " + std::to_string(declared) +
                               " bytes but the file stores only " + std::to_string(stored) +
                               " (corrupt size or truncated data)");
  if (compressed && declared / kMaxCompressionRatio > stored)
    throw InputError(file, what + " declares " + std::to_string(declared) + " bytes from " +
                               std::to_string(stored) + " compressed bytes, beyond deflate's " +
                               "limit of " + std::to_string(kMaxCompressionRatio) +
                               ":1 (corrupt size field)");
}

}  // namespace kvwb::core
