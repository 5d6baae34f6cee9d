// The decode-cost model's whole-cache terms and the roofline (see decode_cost.h). No torch.
#include "core/decode/decode_cost.h"

#include <algorithm>

namespace kvwb::core {

CacheShape cacheShape(const CaptureInfo& c) {
  const auto group = c.queryHeads > 0 && c.kvHeads > 0 ? c.queryHeads / c.kvHeads : 1;
  return {c.layers, c.kvHeads, std::max<std::int64_t>(1, group), c.headDim};
}

DecodeCost softmaxCost(std::int64_t positions, std::int64_t queryGroup) {
  return {0, 0, 4.0 * static_cast<double>(positions) * static_cast<double>(queryGroup)};
}

DecodeCost rawCacheStep(const CacheShape& shape, std::int64_t context) {
  DecodeShape side{context, shape.dims, shape.queryGroup};
  DecodeCost head = denseDecodeCost(side, 2);
  side.kind = KvKind::Values;
  head += denseDecodeCost(side, 2);
  head += softmaxCost(context, shape.queryGroup);
  const double heads = static_cast<double>(shape.kvHeadsInAll());
  return {head.bytes * heads, head.flops * heads, head.elementwiseOps * heads};
}

Prediction predictDecode(const DecodeCost& cost, const DeviceProfile& device) {
  Prediction p;
  p.memoryMicros = cost.bytes / device.bandwidth * 1e6;
  p.computeMicros = (cost.flops / device.matrixFlops + cost.elementwiseOps / (device.vectorFlops / 2)) * 1e6;
  p.micros = std::max(p.memoryMicros, p.computeMicros);
  return p;
}

}  // namespace kvwb::core
