// The counterpart rules the Compare view pairs fits with: stored parameters become a spec without
// the sweep's bookkeeping keys, a fit without a rank meets an equal-bytes SVD and a rank method a
// tiny SIREN, and the equal-bytes rank is the brute-force closest (the smaller on a tie).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/reports/counterpart.h"

using namespace kvwb::core;

TEST(Counterpart, StoredParametersBecomeASpec) {
  const auto spec =
      fitSpec("siren", R"({"config": "medium", "epochs": 2000, "job": "ab12", "seq_len": 512,
                  "infeasible": false, "delta_ppl_note": "n/a"})");
  EXPECT_EQ(spec,
            nlohmann::json::parse(R"({"method": "siren", "config": "medium", "epochs": 2000})"));
  EXPECT_EQ(fitSpec("quant", "not json"), nlohmann::json({{"method", "quant"}}));
}

TEST(Counterpart, OtherFamilyAtEqualBytes) {
  EXPECT_EQ(counterpartSpec(fitSpec("siren", R"({"config": "tiny"})")),
            nlohmann::json({{"method", "svd"}, {kEqualBytesKey, true}}));
  EXPECT_EQ(counterpartSpec(fitSpec("quant", R"({"bits": 4})")),
            nlohmann::json({{"method", "svd"}, {kEqualBytesKey, true}}));
  EXPECT_EQ(counterpartSpec(fitSpec("pca", R"({"rank": 4})")),
            nlohmann::json::parse(
                R"({"method": "siren", "config": "tiny", "epochs": 300, "lr": 0.001})"));
}

TEST(Counterpart, ClosestRankMatchesBruteForce) {
  const auto bytesAt = [](std::int64_t rank) { return 136.0 * static_cast<double>(rank) + 64.0; };
  for (const std::int64_t lo : {1, 3}) {
    for (const std::int64_t hi : {lo, lo + 1, lo + 6, std::int64_t{64}}) {
      for (double bytes = 0; bytes < 136.0 * 70; bytes += 17.0) {
        std::int64_t best = lo;
        for (std::int64_t r = lo + 1; r <= hi; ++r)
          if (std::abs(bytesAt(r) - bytes) < std::abs(bytesAt(best) - bytes)) best = r;
        std::set<std::int64_t> asked;
        const auto rank = closestByBytes(lo, hi, bytes, [&](std::int64_t r) {
          asked.insert(r);
          return bytesAt(r);
        });
        EXPECT_EQ(rank, best) << "bytes " << bytes << " in [" << lo << ", " << hi << "]";
        EXPECT_TRUE(asked.empty() || (*asked.begin() >= lo && *asked.rbegin() <= hi));
        EXPECT_LE(asked.size(), 3u + static_cast<std::size_t>(std::log2(hi - lo + 1)));
      }
    }
  }
  // A tie goes to the smaller rank.
  EXPECT_EQ(closestByBytes(1, 8, 100 * 2.5, [](std::int64_t r) { return 100.0 * r; }), 2);
}
