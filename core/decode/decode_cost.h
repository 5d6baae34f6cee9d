// The decode-cost model (docs/DECODE_COST.md): one decode step of a whole cache at context L is,
// per (layer, KV head), its keys' and values' costs (each method's MethodDescriptor::decodeCost,
// or the raw float16 cache) plus the softmax; a device profile turns it into a roofline time,
// the larger of bytes / bandwidth and the compute time. Pure functions; any thread.
//
//   CacheShape llama8b{32, 8, 4, 128};
//   auto raw = rawCacheStep(llama8b, 131072);             // 2 * L * D * 2 bytes per KV head
//   double us = predictDecode(raw, deviceProfile("h100")).micros;
#pragma once

#include <cstdint>

#include "core/compress/method_descriptor.h"
#include "core/decode/device_profiles.h"
#include "core/project/project_types.h"

namespace kvwb::core {

struct CacheShape {
  std::int64_t layers = 0, kvHeads = 0, queryGroup = 1, dims = 0;
  std::int64_t kvHeadsInAll() const { return layers * kvHeads; }
};
// A capture's cache: query heads per KV head from its queries (1 when it has none).
CacheShape cacheShape(const CaptureInfo& capture);

// The softmax over `positions` scores of each of G queries: a max, an exponential, a sum and a
// scale per score (elementwise).
DecodeCost softmaxCost(std::int64_t positions, std::int64_t queryGroup);
// One decode step of the raw float16 cache: per (layer, KV head), K and V densely (2 L D 2 bytes)
// and the softmax.
DecodeCost rawCacheStep(const CacheShape& shape, std::int64_t context);

struct Prediction {
  double memoryMicros = 0, computeMicros = 0;  // bytes / bandwidth; matrix + elementwise time
  double micros = 0;                           // the roofline: the larger of the two
  bool memoryBound() const { return memoryMicros >= computeMicros; }
};
// Matrix FLOPs at the device's matrix peak; elementwise ops at half its vector peak (that peak
// counts a multiply-add as 2 FLOPs, an elementwise op is one lane-instruction).
Prediction predictDecode(const DecodeCost& cost, const DeviceProfile& device);

}  // namespace kvwb::core
