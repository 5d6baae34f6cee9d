// What a compressed KV cache does to a model's predictions, as llama.cpp's
// `perplexity --kl-divergence` reports it and past it: per scored token, the NLL of the correct
// token with the exact and the compressed cache, the KL divergence of the next-token
// distributions, whether the top token is the same and the probability of the correct token;
// then over many text windows the mean ln(PPL_c / PPL_base), KL divergence with percentiles,
// same-top-token rate and Δp, with standard errors by a seeded bootstrap over windows (the tokens
// of one window are correlated; windows are taken as independent). Plain C++, any thread.
//
//   std::vector<std::vector<TokenQuality>> windows;
//   for (...) windows.push_back(tokenQuality(baseLogits, compressedLogits, targets, vocab));
//   QualityStats q = qualityStats(windows, {.samples = 1000, .seed = 7});
//   q.lnPplRatio.mean, q.lnPplRatio.se, q.kld.mean, q.kldP99 ...
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace kvwb::core {

struct TokenQuality {
  double nllBase = 0, nllCompressed = 0;  // -ln p(correct token)
  double kl = 0;                          // KL(P_base || P_compressed), nats
  double pBase = 0, pCompressed = 0;      // p(correct token)
  bool sameTop = false;                   // the same most likely next token
};

// One window's scored tokens: logits [tokens, vocab] row-major (float32, as the model returns
// them), targets [tokens] the correct next ids. Computed in double with log-sum-exp.
// Throws std::invalid_argument on mismatched sizes or a target outside the vocabulary.
std::vector<TokenQuality> tokenQuality(std::span<const float> baseLogits,
                                       std::span<const float> compressedLogits,
                                       std::span<const int> targets, int vocab);

struct Estimate {
  double mean = 0, se = 0;  // se: bootstrap standard error over windows (0 with one window)
};

struct BootstrapOptions {
  int samples = 1000;
  std::uint64_t seed = 0;
};

struct QualityStats {
  int windows = 0, tokens = 0;
  Estimate lnPplRatio;  // mean over tokens of nllCompressed - nllBase = ln(PPL_c / PPL_base)
  double pplRatio = 1;  // exp(lnPplRatio.mean)
  Estimate kld;         // mean KL divergence per token
  double kldMedian = 0, kldP90 = 0, kldP99 = 0, kldMax = 0;  // over every scored token
  Estimate sameTop;                                          // share of tokens, in [0, 1]
  double deltaPMean = 0, deltaPRms = 0;                      // of pCompressed - pBase
};

// The statistics over every token of every window; the standard errors resample whole windows
// (with replacement, `options.samples` times, from `options.seed`). Throws
// std::invalid_argument when there is no token. The bootstrap variance is scaled by n/(n-1) (n
// windows), the usual correction of its small-sample bias.
QualityStats qualityStats(const std::vector<std::vector<TokenQuality>>& windows,
                          const BootstrapOptions& options = {});

}  // namespace kvwb::core
