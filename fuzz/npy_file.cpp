// Fuzz target: a .npy file (openNpy: memory map + header), then every tensor read.
#include <cstddef>
#include <cstdint>

#include "core/formats/tensor_file.h"
#include "fuzz/tensor_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.npy", data, size);
  fuzz::expectInputErrors([&] { fuzz::readAllTensors(*core::openNpy(path)); });
  return 0;
}
