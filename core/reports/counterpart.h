// Which fit is compared with which, and when two fits count as equal in bytes. A fit's
// counterpart is a fit of the other family at the size closest in bytes: an SVD at the closest
// rank for a fit without a rank (SIREN, quantization, Fourier, ...), a tiny-depth SIREN at the
// closest width for a rank method (SVD, PCA, ...). Only sizes that compress are candidates. Two
// fits are at equal bytes when |b1 − b2| / max(b1, b2) <= 10%; a pair further apart is shown
// with pairingNote, never silently. The GUI's Compare view and the figure set pair fits with
// these rules. Plain functions; any thread.
//
//   auto fit = kvwb::core::fitSpec(run.method, row.paramsJson);  // {"method": "siren", ...}
//   auto other = kvwb::core::counterpartSpec(fit);  // {"method": "svd", "equal_bytes": true}
//   auto rank = kvwb::core::equalBytesValue(1, 64, sirenBytes, rawBytes, svdBytesAtRank);
//   if (!kvwb::core::atEqualBytes(sirenBytes, svdBytes)) title += pairingNote(...);
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace kvwb::core {

// A spec key that stands for "the size whose bytes are closest to the other fit's": true solves
// the method's ratio parameter (its "rank"), a string names the integer parameter to solve
// ("width").
inline constexpr const char* kEqualBytesKey = "equal_bytes";

// The equal-bytes rule: two fits of b1 and b2 bytes are at equal bytes when
// |b1 − b2| / max(b1, b2) <= kEqualBytesTolerance.
inline constexpr double kEqualBytesTolerance = 0.10;
double bytesGap(double b1, double b2);     // |b1 − b2| / max(b1, b2); 0 when both are 0
bool atEqualBytes(double b1, double b2);   // bytesGap(b1, b2) <= kEqualBytesTolerance

// A stored fit as a spec {"method": method, parameters...}: the row's parameters (paramsJson of a
// ResultRow) without the sweep's bookkeeping keys (job, seq_len, infeasible, delta_ppl_note).
nlohmann::json fitSpec(const std::string& method, const std::string& paramsJson);

// The counterpart of `fit` (a spec as fitSpec returns): {"method": "svd", "equal_bytes": true}
// for a fit without a "rank", else {"method": "siren", "config": "tiny", "epochs": 300,
// "lr": 0.001, "equal_bytes": "width"} (tiny's depth, the width of equal bytes).
nlohmann::json counterpartSpec(const nlohmann::json& fit);

// The value of a size parameter (a rank) in [lo, hi] whose bytes are closest to `bytes` (the
// smaller on a tie), by binary search: `bytesAt(value)` must grow with the value (a ByteLedger
// total or a descriptor's byte estimate does). Asks bytesAt about log2(hi - lo) + 2 times.
std::int64_t closestByBytes(std::int64_t lo, std::int64_t hi, double bytes,
                            const std::function<double(std::int64_t)>& bytesAt);

// The largest value in [lo, hi] whose bytes are below `limit`, nullopt when even `lo`'s are not
// (a NaN estimate counts as not below). Binary search, `bytesAt` growing as above.
std::optional<std::int64_t> largestBelow(std::int64_t lo, std::int64_t hi, double limit,
                                         const std::function<double(std::int64_t)>& bytesAt);

// The equal-bytes size of a counterpart: closestByBytes over the values whose bytes are below the
// target's raw float16 bytes `rawBytes` (a counterpart must compress: at or above them a rank
// method is lossless or nearly, SVD at rank >= min(T, D) reconstructs exactly and its error map
// is zero); `lo` when none is.
std::int64_t equalBytesValue(std::int64_t lo, std::int64_t hi, double bytes, double rawBytes,
                             const std::function<double(std::int64_t)>& bytesAt);

// "19,296 B".
std::string bytesText(double bytes);
// How `bytes` compares with `reference`: bytes / reference − 1 as a signed percentage, one
// decimal below 20% ("+2.1%", "−10.4%", "−62%"); "n/a" for a reference of 0.
std::string bytesChangeText(double reference, double bytes);

// Two fits of a comparison: the reference (the fit given as it is) and the counterpart (the
// closest found by an equal-bytes search when `searched`, else also given as it is).
struct BytesPairing {
  std::string referenceLabel, counterpartMethod, counterpartLabel;  // "siren tiny", "svd", ...
  double referenceBytes = 0, counterpartBytes = 0;
  bool searched = true;
};
// "" at equal bytes; otherwise what a title says instead of pairing silently:
//   searched:  "no svd within 10% of 19,296 B: closest svd rank 7 at 7,294 B (−62%)"
//   given:     "not at equal bytes: svd rank 2 at 2,084 B is −89% of siren tiny's 19,296 B"
// (the percentage: counterpart bytes / reference bytes − 1).
std::string pairingNote(const BytesPairing& pair);

}  // namespace kvwb::core
