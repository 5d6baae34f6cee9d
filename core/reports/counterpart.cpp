// Counterpart rules and the equal-bytes rule (see counterpart.h).
#include "core/reports/counterpart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kvwb::core {

double bytesGap(double b1, double b2) {
  const double larger = std::max(std::abs(b1), std::abs(b2));
  return larger > 0 ? std::abs(b1 - b2) / larger : 0.0;
}

bool atEqualBytes(double b1, double b2) { return bytesGap(b1, b2) <= kEqualBytesTolerance; }

nlohmann::json fitSpec(const std::string& method, const std::string& paramsJson) {
  auto spec = nlohmann::json::parse(paramsJson, nullptr, false);
  if (!spec.is_object()) spec = nlohmann::json::object();
  for (const char* key : {"job", "seq_len", "infeasible", "delta_ppl_note"}) spec.erase(key);
  spec["method"] = method;
  return spec;
}

nlohmann::json counterpartSpec(const nlohmann::json& fit) {
  if (fit.contains("rank"))
    return {{"method", "siren"}, {"config", "tiny"}, {"epochs", 300}, {"lr", 0.001},
            {kEqualBytesKey, "width"}};
  return {{"method", "svd"}, {kEqualBytesKey, true}};
}

std::int64_t closestByBytes(std::int64_t lo, std::int64_t hi, double bytes,
                            const std::function<double(std::int64_t)>& bytesAt) {
  const std::int64_t first = lo;
  while (lo < hi) {  // the smallest value with bytes >= `bytes`, or the largest value
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (bytesAt(mid) >= bytes)
      hi = mid;
    else
      lo = mid + 1;
  }
  const bool lower =
      lo > first && std::abs(bytesAt(lo - 1) - bytes) <= std::abs(bytesAt(lo) - bytes);
  return lower ? lo - 1 : lo;
}

std::optional<std::int64_t> largestBelow(std::int64_t lo, std::int64_t hi, double limit,
                                         const std::function<double(std::int64_t)>& bytesAt) {
  const auto below = [&](std::int64_t v) { return bytesAt(v) < limit; };  // NaN: false
  if (hi < lo || !below(lo)) return std::nullopt;
  while (lo < hi) {  // below(lo) holds throughout
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (below(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

std::int64_t equalBytesValue(std::int64_t lo, std::int64_t hi, double bytes, double rawBytes,
                             const std::function<double(std::int64_t)>& bytesAt) {
  const auto compressing = largestBelow(lo, hi, rawBytes, bytesAt);
  return compressing ? closestByBytes(lo, *compressing, bytes, bytesAt) : lo;
}

std::string bytesText(double bytes) {
  if (!std::isfinite(bytes)) return "? B";
  std::string digits = std::to_string(static_cast<long long>(std::llround(std::abs(bytes))));
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  return (bytes < 0 ? "-" : "") + digits + " B";
}

std::string bytesChangeText(double reference, double bytes) {
  if (!(reference > 0)) return "n/a";
  const double pct = 100.0 * (bytes / reference - 1);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, std::abs(pct) < 20 ? "%.1f%%" : "%.0f%%", std::abs(pct));
  return (pct < 0 ? "\u2212" : "+") + std::string(buffer);
}

std::string pairingNote(const BytesPairing& p) {
  if (atEqualBytes(p.referenceBytes, p.counterpartBytes)) return "";
  const std::string change = bytesChangeText(p.referenceBytes, p.counterpartBytes);
  char within[16];
  std::snprintf(within, sizeof within, "%.0f%%", 100 * kEqualBytesTolerance);
  if (p.searched)
    return "no " + p.counterpartMethod + " within " + within + " of " +
           bytesText(p.referenceBytes) + ": closest " + p.counterpartLabel + " at " +
           bytesText(p.counterpartBytes) + " (" + change + ")";
  return "not at equal bytes: " + p.counterpartLabel + " at " + bytesText(p.counterpartBytes) +
         " is " + change + " of " + p.referenceLabel + "'s " + bytesText(p.referenceBytes);
}

}  // namespace kvwb::core
