// Per-token prediction quality and its bootstrap statistics (see quality_stats.h).
#include "core/quality/quality_stats.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>

namespace kvwb::core {
namespace {

// log p over one row of logits, in double.
std::vector<double> logSoftmax(std::span<const float> row) {
  const double top = *std::max_element(row.begin(), row.end());
  double sum = 0;
  for (const float x : row) sum += std::exp(static_cast<double>(x) - top);
  const double logSum = top + std::log(sum);
  std::vector<double> out(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) out[i] = static_cast<double>(row[i]) - logSum;
  return out;
}

// The q-quantile of sorted values, linearly interpolated (numpy's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

// Sums of one window's per-token measures: a bootstrap sample adds whole windows.
struct WindowSums {
  double tokens = 0, lnRatio = 0, kl = 0, sameTop = 0;
};

WindowSums sums(const std::vector<TokenQuality>& window) {
  WindowSums s;
  for (const TokenQuality& t : window) {
    s.tokens += 1;
    s.lnRatio += t.nllCompressed - t.nllBase;
    s.kl += t.kl;
    s.sameTop += t.sameTop ? 1 : 0;
  }
  return s;
}

// The mean over tokens of one measure, and its bootstrap standard error over windows.
Estimate bootstrap(const std::vector<WindowSums>& windows, double WindowSums::*measure,
                   const BootstrapOptions& options) {
  double total = 0, tokens = 0;
  for (const WindowSums& w : windows) {
    total += w.*measure;
    tokens += w.tokens;
  }
  Estimate e{total / tokens, 0};
  if (windows.size() < 2 || options.samples < 2) return e;
  std::mt19937_64 random(options.seed);
  std::uniform_int_distribution<std::size_t> pick(0, windows.size() - 1);
  double sum = 0, sumSq = 0;
  for (int b = 0; b < options.samples; ++b) {
    double t = 0, n = 0;
    for (std::size_t i = 0; i < windows.size(); ++i) {
      const WindowSums& w = windows[pick(random)];
      t += w.*measure;
      n += w.tokens;
    }
    const double mean = t / n;
    sum += mean;
    sumSq += mean * mean;
  }
  const double samples = options.samples;
  const double n = static_cast<double>(windows.size());
  // The bootstrap variance of a mean is (n-1)/n of the sample's: scaled back to the unbiased one.
  e.se = std::sqrt(std::max(0.0, (sumSq - sum * sum / samples) / (samples - 1)) * n / (n - 1));
  return e;
}

}  // namespace

std::vector<TokenQuality> tokenQuality(std::span<const float> baseLogits,
                                       std::span<const float> compressedLogits,
                                       std::span<const int> targets, int vocab) {
  const std::size_t n = targets.size(), v = static_cast<std::size_t>(vocab);
  if (vocab < 1 || baseLogits.size() != n * v || compressedLogits.size() != n * v)
    throw std::invalid_argument("tokenQuality: logits must be tokens x vocab (" +
                                std::to_string(n) + " x " + std::to_string(vocab) + ")");
  std::vector<TokenQuality> out(n);
  for (std::size_t t = 0; t < n; ++t) {
    if (targets[t] < 0 || targets[t] >= vocab)
      throw std::invalid_argument("tokenQuality: target id " + std::to_string(targets[t]) +
                                  " outside the vocabulary of " + std::to_string(vocab));
    const auto base = logSoftmax(baseLogits.subspan(t * v, v));
    const auto comp = logSoftmax(compressedLogits.subspan(t * v, v));
    TokenQuality& q = out[t];
    const auto target = static_cast<std::size_t>(targets[t]);
    q.nllBase = -base[target];
    q.nllCompressed = -comp[target];
    q.pBase = std::exp(base[target]);
    q.pCompressed = std::exp(comp[target]);
    for (std::size_t i = 0; i < v; ++i) q.kl += std::exp(base[i]) * (base[i] - comp[i]);
    q.kl = std::max(0.0, q.kl);  // rounding can leave a tiny negative for equal distributions
    q.sameTop = std::max_element(base.begin(), base.end()) - base.begin() ==
                std::max_element(comp.begin(), comp.end()) - comp.begin();
  }
  return out;
}

QualityStats qualityStats(const std::vector<std::vector<TokenQuality>>& windows,
                          const BootstrapOptions& options) {
  QualityStats s;
  std::vector<WindowSums> perWindow;
  std::vector<double> kls;
  double dp = 0, dpSq = 0;
  for (const auto& window : windows) {
    if (window.empty()) continue;
    perWindow.push_back(sums(window));
    for (const TokenQuality& t : window) {
      kls.push_back(t.kl);
      const double d = t.pCompressed - t.pBase;
      dp += d;
      dpSq += d * d;
    }
  }
  if (kls.empty()) throw std::invalid_argument("qualityStats: no scored token");
  s.windows = static_cast<int>(perWindow.size());
  s.tokens = static_cast<int>(kls.size());
  s.lnPplRatio = bootstrap(perWindow, &WindowSums::lnRatio, options);
  s.pplRatio = std::exp(s.lnPplRatio.mean);
  // Each estimate resamples from its own copy of the seed: the same windows for every measure.
  s.kld = bootstrap(perWindow, &WindowSums::kl, options);
  s.sameTop = bootstrap(perWindow, &WindowSums::sameTop, options);
  std::sort(kls.begin(), kls.end());
  s.kldMedian = quantile(kls, 0.5);
  s.kldP90 = quantile(kls, 0.9);
  s.kldP99 = quantile(kls, 0.99);
  s.kldMax = kls.back();
  const double tokens = static_cast<double>(kls.size());
  s.deltaPMean = dp / tokens;
  s.deltaPRms = std::sqrt(dpSq / tokens);
  return s;
}

}  // namespace kvwb::core
