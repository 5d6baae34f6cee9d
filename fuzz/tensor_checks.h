// Reads every tensor of an opened TensorFile and checks what tensor_file.h promises: read() of a
// listed tensor returns exactly nbytes() bytes, all of which can be touched (ASan / the mapping
// catch a short buffer), and floating data converts to float32.
#pragma once

#include <vector>

#include "core/formats/dtype.h"
#include "core/formats/tensor_file.h"
#include "fuzz/fuzz_common.h"

namespace kvwb::fuzz {

inline void readAllTensors(const kvwb::core::TensorFile& file) {
  using namespace kvwb::core;
  for (const auto& t : file.tensors()) {
    if (file.find(t.name) == nullptr) broken("listed tensor '" + t.name + "' not found by name");
    const auto bytes = file.read(t.name);
    if (bytes.size() != t.nbytes())
      broken("read('" + t.name + "') returned " + std::to_string(bytes.size()) + " bytes, nbytes() is " +
             std::to_string(t.nbytes()));
    const std::size_t n = t.nbytes() / dtypeSize(t.dtype);
    if (isFloating(t.dtype)) {
      (void)findNonFinite(t.dtype, bytes.data(), n);
      std::vector<float> out(std::min<std::size_t>(n, 1u << 16));
      convertToFloat(t.dtype, bytes.data(), out.size(), out.data());
    } else {
      volatile unsigned sum = 0;
      for (const auto b : bytes) sum = sum + static_cast<unsigned>(b);
    }
  }
}

}  // namespace kvwb::fuzz
