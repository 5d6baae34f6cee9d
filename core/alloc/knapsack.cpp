// Multiple-choice knapsack by LP relaxation on the lower convex hulls plus a greedy repair (see
// knapsack.h). The LP of a multiple-choice knapsack is solved exactly by taking the hull segments
// of all targets in order of damage saved per byte until the budget runs out (Sinha & Zoltners
// 1979); at most one segment is taken in part. Written by hand: no Debian library solves it (GLPK
// would solve the LP, but not at slider speed, and the hull greedy is a page).
#include "core/alloc/knapsack.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace kvwb::core {
namespace {

std::string bytesText(double bytes) {
  char out[48];
  std::snprintf(out, sizeof out, bytes == std::floor(bytes) && std::abs(bytes) < 1e15 ? "%.0f" : "%.9g", bytes);
  return out;
}

// > 0 when a -> b -> c turns left (counter-clockwise) in the (bytes, damage) plane: b lies strictly
// below the chord a-c, so b stays on the lower hull.
double turn(const Option& a, const Option& b, const Option& c) {
  return (b.bytes - a.bytes) * (c.damage - a.damage) - (b.damage - a.damage) * (c.bytes - a.bytes);
}

}  // namespace

KnapsackSolver::KnapsackSolver(const std::vector<std::vector<Option>>& targets) {
  struct Segment {
    double efficiency, bytes, damage;
    int target, level;
  };
  std::vector<Segment> segments;
  m_targets.reserve(targets.size());
  for (std::size_t t = 0; t < targets.size(); ++t) {
    Target tg;
    tg.options = targets[t];
    if (tg.options.empty()) throw std::invalid_argument("knapsack: target " + std::to_string(t) + " has no option");
    for (std::size_t i = 0; i < tg.options.size(); ++i) {
      const Option& o = tg.options[i];
      if (!std::isfinite(o.bytes) || o.bytes < 0 || !std::isfinite(o.damage))
        throw std::invalid_argument("knapsack: target " + std::to_string(t) + " option " + std::to_string(i) +
                                    " has bytes " + std::to_string(o.bytes) + " and damage " +
                                    std::to_string(o.damage) + " (need finite, bytes >= 0)");
    }
    tg.byBytes.resize(tg.options.size());
    std::iota(tg.byBytes.begin(), tg.byBytes.end(), 0);
    std::stable_sort(tg.byBytes.begin(), tg.byBytes.end(), [&](int a, int b) {
      const Option &x = tg.options[a], &y = tg.options[b];
      return x.bytes != y.bytes ? x.bytes < y.bytes : x.damage < y.damage;
    });
    // The undominated options (bytes up, damage strictly down), then their lower convex hull.
    for (int p : tg.byBytes) {
      const Option& o = tg.options[p];
      if (!tg.hull.empty() && !(o.damage < tg.options[tg.hull.back()].damage)) continue;
      while (tg.hull.size() >= 2 &&
             turn(tg.options[tg.hull[tg.hull.size() - 2]], tg.options[tg.hull.back()], o) <= 0)
        tg.hull.pop_back();
      tg.hull.push_back(p);
    }
    double previous = std::numeric_limits<double>::infinity();
    for (std::size_t i = 1; i < tg.hull.size(); ++i) {
      const Option &a = tg.options[tg.hull[i - 1]], &b = tg.options[tg.hull[i]];
      // Convexity makes efficiencies fall along the hull; the clamp keeps rounding from breaking
      // it, so that the global order takes each target's segments as a prefix.
      previous = std::min(previous, (a.damage - b.damage) / (b.bytes - a.bytes));
      segments.push_back({previous, b.bytes - a.bytes, b.damage - a.damage, static_cast<int>(t), static_cast<int>(i)});
    }
    m_minBytes += tg.options[tg.hull.front()].bytes;
    m_baseDamage += tg.options[tg.hull.front()].damage;
    m_maxUsefulBytes += tg.options[tg.hull.back()].bytes;
    m_targets.push_back(std::move(tg));
  }
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
    if (a.efficiency != b.efficiency) return a.efficiency > b.efficiency;
    return a.target != b.target ? a.target < b.target : a.level < b.level;
  });
  m_segTarget.reserve(segments.size());
  m_segLevel.reserve(segments.size());
  m_segBytes.reserve(segments.size());
  m_segDamage.reserve(segments.size());
  m_cumBytes.assign(1, 0.0);
  m_cumDamage.assign(1, 0.0);
  for (const auto& s : segments) {
    m_segTarget.push_back(s.target);
    m_segLevel.push_back(s.level);
    m_segBytes.push_back(s.bytes);
    m_segDamage.push_back(s.damage);
    m_cumBytes.push_back(m_cumBytes.back() + s.bytes);
    m_cumDamage.push_back(m_cumDamage.back() + s.damage);
  }
}

double KnapsackSolver::totalBytes(const std::vector<int>& choice) const {
  double sum = 0;
  for (std::size_t t = 0; t < choice.size(); ++t) sum += m_targets[t].options[choice[t]].bytes;
  return sum;
}

double KnapsackSolver::totalDamage(const std::vector<int>& choice) const {
  double sum = 0;
  for (std::size_t t = 0; t < choice.size(); ++t) sum += m_targets[t].options[choice[t]].damage;
  return sum;
}

void KnapsackSolver::repair(std::vector<int>& choice, double budget) const {
  double total = totalBytes(choice);
  for (;;) {
    // The change of one target's option (any option, on its hull or not) that saves the most
    // damage per byte and fits what is left; one that saves damage and bytes wins outright.
    const double room = budget - total;
    int bestTarget = -1, bestOption = -1;
    double bestScore = -1, bestSave = 0;
    for (std::size_t t = 0; t < m_targets.size(); ++t) {
      const Target& tg = m_targets[t];
      const Option& current = tg.options[choice[t]];
      for (int p : tg.byBytes) {
        const Option& o = tg.options[p];
        const double extra = o.bytes - current.bytes;
        if (extra > room) break;
        const double save = current.damage - o.damage;
        if (!(save > 0)) continue;
        const double score = extra > 0 ? save / extra : std::numeric_limits<double>::infinity();
        if (score > bestScore || (score == bestScore && save > bestSave))
          bestTarget = static_cast<int>(t), bestOption = p, bestScore = score, bestSave = save;
      }
    }
    if (bestTarget < 0) return;
    const int previous = choice[bestTarget];
    choice[bestTarget] = bestOption;
    const double next = totalBytes(choice);
    if (next > budget) {  // only by rounding in the sums: stop rather than overspend
      choice[bestTarget] = previous;
      return;
    }
    total = next;
  }
}

std::vector<int> KnapsackSolver::prefixChoice(std::size_t k, std::size_t forced, double budget) const {
  std::vector<int> level(m_targets.size(), 0);
  for (std::size_t i = 0; i < k; ++i) level[m_segTarget[i]] = m_segLevel[i];
  const int forcedTarget = forced < m_segTarget.size() ? m_segTarget[forced] : -1;
  if (forcedTarget >= 0) level[forcedTarget] = m_segLevel[forced];
  std::vector<int> choice(m_targets.size());
  for (std::size_t t = 0; t < m_targets.size(); ++t) choice[t] = m_targets[t].hull[level[t]];
  // Segments given back, least efficient first (each the top of its target's then), until the
  // choice fits; without a forced segment only where the prefix sums and the options' sum differ
  // in the last bit.
  double total = totalBytes(choice);
  for (std::size_t i = k; total > budget;) {
    if (i == 0) return {};
    const int t = m_segTarget[--i];
    if (t == forcedTarget) continue;
    const auto& options = m_targets[t].options;
    const int lower = m_targets[t].hull[m_segLevel[i] - 1];
    total += options[lower].bytes - options[choice[t]].bytes;
    choice[t] = lower;
    if (!(total > budget)) total = totalBytes(choice);  // the exact sum before it is trusted
  }
  return choice;
}

Allocation KnapsackSolver::solve(double budget) const {
  if (!(budget >= m_minBytes))
    throw std::invalid_argument("knapsack: a budget of " + bytesText(budget) +
                                " bytes is below the least any choice needs, " + bytesText(m_minBytes) +
                                " bytes (every target at its cheapest option)");
  const double slack = budget - m_minBytes;
  const std::size_t segments = m_segTarget.size();
  // Whole segments that fit: the LP takes them, and the next one in part.
  std::size_t k = static_cast<std::size_t>(std::upper_bound(m_cumBytes.begin(), m_cumBytes.end(), slack) -
                                           m_cumBytes.begin()) - 1;
  double lowerBound = m_baseDamage + m_cumDamage[k];
  if (k < segments) lowerBound += std::clamp((slack - m_cumBytes[k]) / m_segBytes[k], 0.0, 1.0) * m_segDamage[k];

  // Two integer candidates, each repaired: the LP's whole segments, and the LP's whole segments
  // with its partial one taken whole and the least efficient others given back until it fits (the
  // critical item of a knapsack, which the first misses whenever it is large). The better wins.
  Allocation a;
  a.choice = prefixChoice(k, segments, budget);
  repair(a.choice, budget);
  if (k < segments) {
    auto critical = prefixChoice(k, k, budget);
    if (!critical.empty()) {
      repair(critical, budget);
      if (totalDamage(critical) < totalDamage(a.choice)) a.choice = std::move(critical);
    }
  }
  a.bytes = totalBytes(a.choice);
  a.damage = totalDamage(a.choice);
  a.lowerBound = std::min(lowerBound, a.damage);  // equal up to rounding when the LP is integral
  a.gap = a.damage - a.lowerBound;
  a.relativeGap = a.damage > 0 ? a.gap / a.damage : 0.0;
  return a;
}

Allocation solveMultipleChoiceKnapsack(const std::vector<std::vector<Option>>& targets, double budget) {
  return KnapsackSolver(targets).solve(budget);
}

}  // namespace kvwb::core
