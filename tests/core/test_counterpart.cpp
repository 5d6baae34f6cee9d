// The counterpart rules the Compare view and the figure set pair fits with: stored parameters
// become a spec without the sweep's bookkeeping keys, a fit without a rank meets an equal-bytes
// SVD and a rank method a tiny-depth SIREN of equal-bytes width; the equal-bytes size is the
// brute-force closest (the smaller on a tie) among those that compress; the 10% rule at its
// boundary and the note a title carries outside it.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
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
            nlohmann::json::parse(R"({"method": "siren", "config": "tiny", "epochs": 300,
                                       "lr": 0.001, "equal_bytes": "width"})"));
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

TEST(Counterpart, TenPercentRuleAtItsBoundary) {
  // |b1 − b2| / max(b1, b2) <= 0.10, symmetric.
  EXPECT_TRUE(atEqualBytes(1000, 900));
  EXPECT_TRUE(atEqualBytes(900, 1000));
  EXPECT_FALSE(atEqualBytes(1000, 899));
  EXPECT_FALSE(atEqualBytes(899, 1000));
  EXPECT_TRUE(atEqualBytes(1000, 1111));   // 111 / 1111 = 9.99%: +11.1% of 1000 is still equal
  EXPECT_FALSE(atEqualBytes(1000, 1112));  // 112 / 1112 = 10.07%
  EXPECT_TRUE(atEqualBytes(0, 0));
  EXPECT_DOUBLE_EQ(bytesGap(19296, 7294), (19296.0 - 7294.0) / 19296.0);
  EXPECT_DOUBLE_EQ(bytesGap(7294, 19296), bytesGap(19296, 7294));
}

TEST(Counterpart, LargestBelowMatchesBruteForce) {
  const auto bytesAt = [](std::int64_t v) { return 100.0 * static_cast<double>(v * v); };
  for (const std::int64_t lo : {1, 4})
    for (const std::int64_t hi : {lo, lo + 1, std::int64_t{40}})
      for (double limit = 0; limit < 100.0 * 45 * 45; limit += 350.0) {
        std::optional<std::int64_t> expected;
        for (std::int64_t v = lo; v <= hi; ++v)
          if (bytesAt(v) < limit) expected = v;
        EXPECT_EQ(largestBelow(lo, hi, limit, bytesAt), expected) << limit << " in [" << lo << ", " << hi << "]";
      }
  // A value whose bytes are unknown (NaN) is not below.
  EXPECT_EQ(largestBelow(1, 8, 1e9, [](std::int64_t) { return std::nan(""); }), std::nullopt);
}

TEST(Counterpart, EqualBytesSizeCompresses) {
  // SVD of a 512 x 8 target at float16: U, S, V = (512 + 1 + 8) x r x 2 bytes; raw 8,192 B.
  const auto svd = [](std::int64_t r) { return 1042.0 * static_cast<double>(r); };
  const double raw = 2.0 * 512 * 8;
  // SIREN tiny's 19,296 B: rank 8 (8,336 B, exact, above raw) is closest, but never a
  // counterpart: rank 7 is the closest that compresses.
  EXPECT_EQ(closestByBytes(1, 8, 19296, svd), 8);
  EXPECT_EQ(equalBytesValue(1, 65536, 19296, raw, svd), 7);
  EXPECT_EQ(equalBytesValue(1, 65536, 3 * 1042 + 10, raw, svd), 3);
  EXPECT_EQ(equalBytesValue(1, 65536, 10, raw, svd), 1);
  // Nothing compresses: the smallest value.
  EXPECT_EQ(equalBytesValue(1, 8, 19296, 500, svd), 1);
}

TEST(Counterpart, NoteOutsideTheRule) {
  EXPECT_EQ(bytesText(1234567), "1,234,567 B");
  EXPECT_EQ(bytesText(999), "999 B");
  EXPECT_EQ(bytesText(19296), "19,296 B");
  EXPECT_EQ(bytesChangeText(1042, 1064), "+2.1%");
  EXPECT_EQ(bytesChangeText(19296, 7294), "\u221262%");
  EXPECT_EQ(bytesChangeText(0, 7294), "n/a");
  BytesPairing pair{"siren tiny", "svd", "svd rank 7", 19296, 7294, true};
  EXPECT_EQ(pairingNote(pair),
            "no svd within 10% of 19,296 B: closest svd rank 7 at 7,294 B (\u221262%)");
  pair = {"siren tiny", "svd", "svd rank 2", 19296, 2084, false};
  EXPECT_EQ(pairingNote(pair),
            "not at equal bytes: svd rank 2 at 2,084 B is \u221289% of siren tiny's 19,296 B");
  pair = {"svd rank 1", "siren", "siren tiny", 1042, 19296, true};
  EXPECT_EQ(pairingNote(pair),
            "no siren within 10% of 1,042 B: closest siren tiny at 19,296 B (+1752%)");
  // At the boundary: 900 of 1000 is paired silently, 899 is not.
  pair = {"a", "svd", "svd rank 1", 1000, 900, true};
  EXPECT_EQ(pairingNote(pair), "");
  pair.counterpartBytes = 899;
  EXPECT_EQ(pairingNote(pair),
            "no svd within 10% of 1,000 B: closest svd rank 1 at 899 B (\u221210.1%)");
}
