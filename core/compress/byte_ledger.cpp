// ByteLedger (compressor.h): the total of its items. Pure; any thread.
#include <numeric>

#include "core/compress/compressor.h"

namespace kvwb::core {

double ByteLedger::total() const {
  return std::accumulate(items.begin(), items.end(), 0.0,
                         [](double sum, const auto& item) { return sum + item.second; });
}

}  // namespace kvwb::core
