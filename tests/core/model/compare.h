// Tolerance helpers shared by the model tests: the largest element difference relative to the
// largest magnitude of the reference (so tiny reference entries do not blow the ratio up).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace kvwb::test {

// max |got - ref| / max |ref|; infinity when the sizes differ.
template <typename A, typename B>
double maxRelativeError(const std::vector<A>& got, const std::vector<B>& ref) {
  if (got.size() != ref.size()) return INFINITY;
  double maxDiff = 0, maxAbs = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    maxDiff =
        std::max(maxDiff, std::abs(static_cast<double>(got[i]) - static_cast<double>(ref[i])));
    maxAbs = std::max(maxAbs, std::abs(static_cast<double>(ref[i])));
  }
  return maxAbs > 0 ? maxDiff / maxAbs : maxDiff;
}

}  // namespace kvwb::test
