// How a method file registers itself: it defines one function returning a MethodEntry (its
// descriptor and its factory) and adds one KVWB_METHOD line to methods/registered_methods.def.
// Internal to core/compress.
//
//   MethodEntry svdMethod() { return methodEntry<SvdCompressor>(svdDescriptor); }
#pragma once

#include <memory>

#include "core/compress/compressor.h"

namespace kvwb::core {

struct MethodEntry {
  const MethodDescriptor& (*describe)();
  std::unique_ptr<Compressor> (*make)();
};

template <typename C>
MethodEntry methodEntry(const MethodDescriptor& (*describe)()) {
  return {describe, []() -> std::unique_ptr<Compressor> { return std::make_unique<C>(); }};
}

}  // namespace kvwb::core
