// Model-quality statistics: every statistic against a direct numpy computation from the same
// stored logits, and the bootstrap over windows checked for coverage on correlated tokens whose
// true mean is known.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/quality/quality_stats.h"
#include "core/quality/window_spec.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

constexpr int kWindows = 6, kTokens = 40, kVocab = 64;

std::string intBytes(const std::vector<int>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int)};
}

}  // namespace

TEST(QualityStats, EveryStatisticMatchesNumpyOnStoredLogits) {
  if (!kvwb::test::pythonHasModules("numpy")) GTEST_SKIP() << "Debian's python3-numpy is missing";
  std::mt19937 random(3);
  std::normal_distribution<float> logit(0, 2), noise(0, 0.4f);
  std::uniform_int_distribution<int> token(0, kVocab - 1);
  std::vector<float> base, comp;
  std::vector<int> targets;
  std::vector<std::vector<TokenQuality>> windows;
  for (int w = 0; w < kWindows; ++w) {
    std::vector<float> b, c;
    std::vector<int> t;
    for (int i = 0; i < kTokens; ++i) {
      t.push_back(token(random));
      for (int v = 0; v < kVocab; ++v) {
        b.push_back(logit(random));
        c.push_back(b.back() + noise(random));  // a compressed cache's perturbed predictions
      }
    }
    windows.push_back(tokenQuality(b, c, t, kVocab));
    base.insert(base.end(), b.begin(), b.end());
    comp.insert(comp.end(), c.begin(), c.end());
    targets.insert(targets.end(), t.begin(), t.end());
  }
  kvwb::test::TempDir dir;
  kvwb::test::writeFile(dir / "base.npy",
                        kvwb::test::npyBytes("<f4", {kWindows, kTokens, kVocab}, kvwb::test::floatBytes(base)));
  kvwb::test::writeFile(dir / "comp.npy",
                        kvwb::test::npyBytes("<f4", {kWindows, kTokens, kVocab}, kvwb::test::floatBytes(comp)));
  kvwb::test::writeFile(dir / "targets.npy", kvwb::test::npyBytes("<i4", {kWindows, kTokens}, intBytes(targets)));
  const auto script = kvwb::test::sourceDir() / "tests/core/quality/quality_reference.py";
  ASSERT_EQ(kvwb::test::runPython({script.string(), (dir / "base.npy").string(), (dir / "comp.npy").string(),
                                   (dir / "targets.npy").string(), (dir / "ref.json").string()}),
            0);
  const auto ref = nlohmann::json::parse(std::ifstream(dir / "ref.json"));
  const QualityStats s = qualityStats(windows, {.samples = 200, .seed = 1});
  const auto near = [](double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); };
  EXPECT_EQ(s.windows, kWindows);
  EXPECT_EQ(s.tokens, kWindows * kTokens);
  EXPECT_PRED2(near, s.lnPplRatio.mean, ref["ln_ratio"].get<double>());
  EXPECT_PRED2(near, s.pplRatio, std::exp(ref["ln_ratio"].get<double>()));
  EXPECT_PRED2(near, s.kld.mean, ref["kld"].get<double>());
  EXPECT_PRED2(near, s.kldMedian, ref["kld_median"].get<double>());
  EXPECT_PRED2(near, s.kldP90, ref["kld_p90"].get<double>());
  EXPECT_PRED2(near, s.kldP99, ref["kld_p99"].get<double>());
  EXPECT_PRED2(near, s.kldMax, ref["kld_max"].get<double>());
  EXPECT_PRED2(near, s.sameTop.mean, ref["same_top"].get<double>());
  EXPECT_PRED2(near, s.deltaPMean, ref["dp_mean"].get<double>());
  EXPECT_PRED2(near, s.deltaPRms, ref["dp_rms"].get<double>());
  EXPECT_GT(s.lnPplRatio.se, 0);
  EXPECT_GT(s.kld.se, 0);
  // Seeded: the same seed gives the same errors.
  EXPECT_EQ(qualityStats(windows, {.samples = 200, .seed = 1}).kld.se, s.kld.se);
}

// Windows of strongly correlated tokens (AR(1), phi 0.9) around a known mean: the 95% interval
// mean ± 1.96 se from the bootstrap over windows covers it about 95% of the time, where treating
// the tokens as independent would cover it far less often.
TEST(QualityStats, BootstrapOverWindowsCoversTheTrueMean) {
  constexpr double kMean = 0.05, kPhi = 0.9;
  constexpr int kReplicates = 300, kWin = 30, kTok = 40;
  std::mt19937_64 random(11);
  std::normal_distribution<double> shock(0, 0.1);
  int covered = 0, naiveCovered = 0;
  for (int r = 0; r < kReplicates; ++r) {
    std::vector<std::vector<TokenQuality>> windows(kWin);
    std::vector<double> all;
    for (auto& window : windows) {
      double x = shock(random) / std::sqrt(1 - kPhi * kPhi);
      for (int t = 0; t < kTok; ++t) {
        x = kPhi * x + shock(random);
        TokenQuality q;
        q.nllCompressed = kMean + x;  // nllBase 0: the ln ratio is the series
        window.push_back(q);
        all.push_back(q.nllCompressed);
      }
    }
    const QualityStats s = qualityStats(windows, {.samples = 300, .seed = static_cast<std::uint64_t>(r)});
    covered += std::abs(s.lnPplRatio.mean - kMean) <= 1.96 * s.lnPplRatio.se;
    double var = 0;
    for (double v : all) var += (v - s.lnPplRatio.mean) * (v - s.lnPplRatio.mean);
    const double naiveSe = std::sqrt(var / static_cast<double>(all.size() - 1) / static_cast<double>(all.size()));
    naiveCovered += std::abs(s.lnPplRatio.mean - kMean) <= 1.96 * naiveSe;
  }
  const double coverage = static_cast<double>(covered) / kReplicates;
  const double naive = static_cast<double>(naiveCovered) / kReplicates;
  std::printf("95%% interval coverage: bootstrap over windows %.3f, tokens as independent %.3f\n",
              coverage, naive);
  EXPECT_GT(coverage, 0.9);
  EXPECT_LT(coverage, 0.985);
  EXPECT_LT(naive, 0.75);
}

TEST(QualityStats, RefusesMismatchedInputs) {
  const std::vector<float> logits(2 * 4, 0.f);
  EXPECT_THROW(tokenQuality(logits, logits, std::vector<int>{1}, 4), std::invalid_argument);
  EXPECT_THROW(tokenQuality(logits, logits, std::vector<int>{1, 4}, 4), std::invalid_argument);
  EXPECT_THROW(qualityStats({{}}), std::invalid_argument);
  const auto same = tokenQuality(logits, logits, std::vector<int>{1, 2}, 4);
  EXPECT_EQ(same[0].kl, 0);
  EXPECT_TRUE(same[0].sameTop);
  EXPECT_NEAR(same[1].nllBase, std::log(4.0), 1e-12);
}

// Windows start at `first` (the text before it held out); keys and stored baselines of specs
// without it are unchanged.
TEST(QualityWindows, FirstHoldsOutTheTextBeforeIt) {
  const WindowSpec plain{.windows = 4, .continuation = 32};
  EXPECT_EQ(windowStarts(1000, plain, 128), (std::vector<int>{0, 160, 320, 480}));
  const auto held = parseWindowSpec({{"windows", 4}, {"continuation", 32}, {"first", 640}});
  EXPECT_EQ(held.first, 640);
  EXPECT_EQ(windowStarts(1000, held, 128), (std::vector<int>{640, 800}));  // 960 + 160 > 1000
  EXPECT_FALSE(toJson(plain).contains("first"));
  EXPECT_EQ(toJson(held)["first"], 640);
  EXPECT_EQ(parseWindowSpec(toJson(held)).first, 640);
  EXPECT_THROW(parseWindowSpec({{"first", -1}}), std::invalid_argument);
}
