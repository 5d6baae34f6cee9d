// Fuzz target: a .npz (zip) archive (openNpz: libzip directory, member sizes and CRC-32, each
// member's .npy header), then every tensor read (inflating the members).
#include <cstddef>
#include <cstdint>

#include "core/formats/tensor_file.h"
#include "fuzz/tensor_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.npz", data, size);
  fuzz::expectInputErrors([&] { fuzz::readAllTensors(*core::openNpz(path)); });
  return 0;
}
