// Which fit is compared with which: a fit's counterpart at equal bytes is a fit of the other
// family, an SVD at the rank whose bytes are closest for a fit without a rank (SIREN,
// quantization, Fourier, ...), a tiny SIREN for a rank method (SVD, PCA, ...). The GUI's Compare
// view pairs fits with these rules; the CLI can too. Plain functions; any thread.
//
//   auto fit = kvwb::core::fitSpec(run.method, row.paramsJson);  // {"method": "siren", ...}
//   auto other = kvwb::core::counterpartSpec(fit);  // {"method": "svd", "equal_bytes": true}
//   auto rank = kvwb::core::closestRank(64, sirenBytes, [&](std::int64_t r) { return svd(r); });
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

// The rank in [1, maxRank] whose byte total is closest to `bytes` (the smaller rank on a tie),
// found by binary search: `bytesAt(rank)` must grow with the rank (a ByteLedger total does).
std::int64_t closestRank(std::int64_t maxRank, double bytes,
                         const std::function<double(std::int64_t)>& bytesAt);

}  // namespace kvwb::core
