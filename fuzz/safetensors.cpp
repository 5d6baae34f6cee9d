// Fuzz target: a .safetensors file (openSafetensors: header length, JSON header, every entry's
// dtype, shape and offsets against the file), then every tensor read.
#include <cstddef>
#include <cstdint>

#include "core/formats/tensor_file.h"
#include "fuzz/tensor_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.safetensors", data, size);
  fuzz::expectInputErrors([&] { fuzz::readAllTensors(*core::openSafetensors(path)); });
  return 0;
}
