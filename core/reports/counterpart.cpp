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

std::int64_t closestByBytes(std::int64_t lo, std::int64_t hi, double bytes,
                            const std::function<double(std::int64_t)>& bytesAt) {
  const std::int64_t first = lo;
  while (lo < hi) {  // the smallest value with bytes >= `bytes`, or the largest value
    const std::int64_t mid = (lo + hi) / 2;
    if (bytesAt(mid) >= bytes)
      hi = mid;
    else
      lo = mid + 1;
  }
  const bool lower =
      lo > first && std::abs(bytesAt(lo - 1) - bytes) <= std::abs(bytesAt(lo) - bytes);
  return lower ? lo - 1 : lo;
}

}  // namespace kvwb::core
