// Which fit is compared with which: a fit's counterpart at equal bytes is a fit of the other
// family, an SVD at the rank whose bytes are closest for a fit without a rank (SIREN,
// quantization, Fourier, ...), a tiny SIREN for a rank method (SVD, PCA, ...). The GUI's Compare
// view pairs fits with these rules; the CLI can too. Plain functions; any thread.
//
//   auto fit = kvwb::core::fitSpec(run.method, row.paramsJson);  // {"method": "siren", ...}
//   auto other = kvwb::core::counterpartSpec(fit);  // {"method": "svd", "equal_bytes": true}
//   auto rank = kvwb::core::closestByBytes(1, 64, sirenBytes, svdBytesAtRank);
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace kvwb::core {

// A spec key that stands for "the rank whose bytes are closest to the other fit's".
inline constexpr const char* kEqualBytesKey = "equal_bytes";

// A stored fit as a spec {"method": method, parameters...}: the row's parameters (paramsJson of a
// ResultRow) without the sweep's bookkeeping keys (job, seq_len, infeasible, delta_ppl_note).
nlohmann::json fitSpec(const std::string& method, const std::string& paramsJson);

// The counterpart of `fit` (a spec as fitSpec returns): {"method": "svd", "equal_bytes": true}
// for a fit without a "rank", else {"method": "siren", "config": "tiny", "epochs": 300,
// "lr": 0.001}.
nlohmann::json counterpartSpec(const nlohmann::json& fit);

// The value of a size parameter (a rank) in [lo, hi] whose bytes are closest to `bytes` (the
// smaller on a tie), by binary search: `bytesAt(value)` must grow with the value (a ByteLedger
// total or a descriptor's byte estimate does). Asks bytesAt about log2(hi - lo) + 2 times.
std::int64_t closestByBytes(std::int64_t lo, std::int64_t hi, double bytes,
                            const std::function<double(std::int64_t)>& bytesAt);

}  // namespace kvwb::core
