// Method name -> compressor factory.
#include <stdexcept>

#include "core/compress/methods.h"

namespace kvwb::core {
namespace {
struct Entry {
  const char* name;
  std::unique_ptr<Compressor> (*make)();
};
constexpr Entry kMethods[] = {
    {"svd", makeSvdCompressor},
    {"pca", makePcaCompressor},
    {"random_projection", makeRandomProjectionCompressor},
    {"fourier", makeFourierCompressor},
    {"quant", makeQuantCompressor},
    {"mixed_precision", makeMixedPrecisionCompressor},
    {"hybrid", makeHybridCompressor},
    {"siren", makeSirenCompressor},
    {"kvsplice", makeKvspliceCompressor},
};
}  // namespace

std::unique_ptr<Compressor> makeCompressor(const std::string& method) {
  for (const auto& e : kMethods)
    if (method == e.name) return e.make();
  throw std::invalid_argument("unknown compression method '" + method + "'");
}

std::vector<std::string> compressorMethods() {
  std::vector<std::string> names;
  for (const auto& e : kMethods) names.emplace_back(e.name);
  return names;
}

}  // namespace kvwb::core
