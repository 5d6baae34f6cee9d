// Fuzz target: parseNpyHeader on arbitrary bytes in memory (the .npy header shared by .npy and
// .npz), with the input's own size as the stream size and also a much larger one.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/formats/npy_header.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
  for (const std::size_t total : {size, size + (std::size_t{1} << 30)}) {
    fuzz::expectInputErrors([&] {
      const auto h = core::parseNpyHeader(bytes, total, "fuzz.npy", "member");
      if (h.dataOffset > size) fuzz::broken("data offset past the header bytes given");
      if (h.dataOffset + h.info.nbytes() > total) fuzz::broken("accepted a shape past the stream");
      if (h.info.shape.size() > core::kMaxNpyRank) fuzz::broken("rank above kMaxNpyRank accepted");
    });
  }
  return 0;
}
