// Factories of the compressor implementations (one .cpp per method family); makeCompressor()
// in registry.cpp maps method names to these.
#pragma once

#include <memory>

#include "core/compress/compressor.h"

namespace kvwb::core {

std::unique_ptr<Compressor> makeSvdCompressor();               // "svd": rank | ratio, storage
std::unique_ptr<Compressor> makePcaCompressor();               // "pca": rank | ratio, storage
std::unique_ptr<Compressor> makeRandomProjectionCompressor();  // "random_projection": rank | ratio, seed
std::unique_ptr<Compressor> makeFourierCompressor();           // "fourier": coeffs, sink, recent, exact_dims
std::unique_ptr<Compressor> makeQuantCompressor();             // "quant": bits, group, axis
std::unique_ptr<Compressor> makeMixedPrecisionCompressor();    // "mixed_precision": ratio | budget, group
std::unique_ptr<Compressor> makeHybridCompressor();            // "hybrid": keys {...}, values {...}
std::unique_ptr<Compressor> makeSirenCompressor();             // "siren": width, depth, omega0, epochs, lr
std::unique_ptr<Compressor> makeKvspliceCompressor();          // "kvsplice": rank, epochs, lr

}  // namespace kvwb::core
