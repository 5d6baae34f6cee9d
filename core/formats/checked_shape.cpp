// Overflow-safe shape validation for dump readers.
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

}  // namespace kvwb::core
