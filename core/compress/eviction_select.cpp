// Budgets and kept sets of the eviction methods (see eviction_select.h).
#include "core/compress/eviction_select.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace kvwb::core {
namespace {

// The non-forced positions of one target, best score first (ties: earlier position).
std::vector<std::int64_t> rankedOthers(const std::vector<double>& scores, const KeepMask& forced) {
  std::vector<std::int64_t> order;
  for (std::size_t j = 0; j < scores.size(); ++j)
    if (!forced[j]) order.push_back(static_cast<std::int64_t>(j));
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  return order;
}

std::int64_t countKept(const KeepMask& m) { return std::count(m.begin(), m.end(), 1); }

}  // namespace

std::vector<std::int64_t> pyramidBudgets(std::int64_t n, int layers, double beta, std::int64_t T) {
  if (layers < 1) throw std::invalid_argument("pyramid budgets need at least one layer");
  std::vector<std::int64_t> out(static_cast<std::size_t>(layers), std::clamp<std::int64_t>(n, 1, T));
  if (layers == 1) return out;
  const double top = static_cast<double>(n) / beta, bottom = 2.0 * static_cast<double>(n) - top;
  for (int l = 0; l < layers; ++l) {
    const double budget = bottom - (bottom - top) * l / (layers - 1);
    out[static_cast<std::size_t>(l)] = std::clamp<std::int64_t>(std::lround(budget), 1, T);
  }
  return out;
}

KeepMask forcedTokens(std::int64_t T, std::int64_t n, std::int64_t sinks, std::int64_t recent) {
  KeepMask forced(static_cast<std::size_t>(T), 0);
  const auto s = std::min({sinks, n, T});
  std::fill(forced.begin(), forced.begin() + s, 1);
  const auto r = std::min(recent, n - s);
  for (std::int64_t j = std::max(s, T - r); j < T; ++j) forced[j] = 1;
  return forced;
}

KeepMask keepTopScores(const std::vector<double>& scores, const KeepMask& forced, std::int64_t n) {
  KeepMask kept = forced;
  const auto order = rankedOthers(scores, forced);
  const auto rest = std::clamp<std::int64_t>(n - countKept(forced), 0, static_cast<std::int64_t>(order.size()));
  for (std::int64_t k = 0; k < rest; ++k) kept[order[k]] = 1;
  return kept;
}

std::vector<KeepMask> adakvKeep(const std::vector<std::vector<double>>& scores,
                                const std::vector<KeepMask>& forced, std::int64_t n,
                                double floorShare) {
  const std::size_t H = scores.size();
  std::vector<KeepMask> kept(H);
  std::vector<std::vector<double>> normalised(H);
  std::int64_t left = static_cast<std::int64_t>(H) * n;
  const auto floorTokens = static_cast<std::int64_t>(std::floor(floorShare * static_cast<double>(n)));
  for (std::size_t h = 0; h < H; ++h) {
    double sum = 0;
    for (std::size_t j = 0; j < scores[h].size(); ++j)
      if (!forced[h][j]) sum += scores[h][j];
    normalised[h] = scores[h];
    for (auto& s : normalised[h]) s = sum > 0 ? s / sum : 0;
    const auto own = std::max(countKept(forced[h]), floorTokens);
    kept[h] = keepTopScores(normalised[h], forced[h], own);
    left -= countKept(kept[h]);
  }
  struct Candidate {
    double score;
    std::size_t head;
    std::int64_t pos;
  };
  std::vector<Candidate> rest;
  for (std::size_t h = 0; h < H; ++h)
    for (std::size_t j = 0; j < normalised[h].size(); ++j)
      if (!kept[h][j]) rest.push_back({normalised[h][j], h, static_cast<std::int64_t>(j)});
  std::stable_sort(rest.begin(), rest.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  for (std::size_t k = 0; k < rest.size() && left > 0; ++k, --left) kept[rest[k].head][rest[k].pos] = 1;
  return kept;
}

double keptIndexBytes(std::int64_t kept, std::int64_t T) {
  const double bits = std::ceil(std::log2(std::max<double>(2, static_cast<double>(T))));
  return std::min(std::ceil(static_cast<double>(kept) * bits / 8), std::ceil(static_cast<double>(T) / 8));
}

}  // namespace kvwb::core
