// Counterpart rules (see counterpart.h): the pairing the Compare view has always used.
#include "core/reports/counterpart.h"

#include <cmath>

namespace kvwb::core {

nlohmann::json fitSpec(const std::string& method, const std::string& paramsJson) {
  auto spec = nlohmann::json::parse(paramsJson, nullptr, false);
  if (!spec.is_object()) spec = nlohmann::json::object();
  for (const char* key : {"job", "seq_len", "infeasible", "delta_ppl_note"}) spec.erase(key);
  spec["method"] = method;
  return spec;
}

nlohmann::json counterpartSpec(const nlohmann::json& fit) {
  if (fit.contains("rank"))
    return {{"method", "siren"}, {"config", "tiny"}, {"epochs", 300}, {"lr", 0.001}};
  return {{"method", "svd"}, {kEqualBytesKey, true}};
}

std::int64_t closestRank(std::int64_t maxRank, double bytes,
                         const std::function<double(std::int64_t)>& bytesAt) {
  std::int64_t lo = 1, hi = maxRank;
  while (lo < hi) {  // the smallest rank with bytes >= `bytes`, or the largest rank
    const std::int64_t mid = (lo + hi) / 2;
    if (bytesAt(mid) >= bytes)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo > 1 && std::abs(bytesAt(lo - 1) - bytes) <= std::abs(bytesAt(lo) - bytes) ? lo - 1 : lo;
}

}  // namespace kvwb::core
