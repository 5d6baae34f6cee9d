// The baselines of an allocation at one budget (see allocation_contenders.h).
#include "core/alloc/allocation_contenders.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>

#include "core/alloc/allocation_output.h"
#include "core/alloc/allocation_solver.h"
#include "core/compress/method_descriptor.h"

namespace kvwb::core {
namespace {

// A uniform choice as a contender: every target at its option.
Contender uniformContender(const AllocationTable& table, const UniformChoice& u, std::string label) {
  Contender c{std::move(label), {}, u.bytes, u.damage, {}};
  if (u.option < 0) {
    c.note = "no single option fits the budget";
    return c;
  }
  c.choice.assign(table.targets.size(), u.option);
  c.note = table.options[static_cast<std::size_t>(u.option)].name();
  return c;
}

// The family's allocation, or why there is none.
Contender familyContender(const AllocationTable& table, double budget, const std::string& family,
                          const std::vector<int>& columns) {
  Contender c{"best " + family, {}, 0, 0, {}};
  try {
    const auto a = bestAllocation(table, budget, columns);
    c.choice = a.choice, c.bytes = a.bytes, c.damage = a.damage;
    c.note = std::to_string(columns.size()) + " options";
  } catch (const std::invalid_argument&) {
    c.note = "no allocation of its " + std::to_string(columns.size()) + " options fits the budget";
  }
  return c;
}

// Per-layer budgets: `base` shares scaled by s and clamped to [lo, hi], with the largest s whose
// budgets sum to at most `budget` (bisection: the sum rises with s).
std::vector<double> clampedBudgets(const std::vector<double>& base, const std::vector<double>& lo,
                                   const std::vector<double>& hi, double budget) {
  const auto at = [&](double s) {
    std::vector<double> b(base.size());
    for (std::size_t l = 0; l < base.size(); ++l) b[l] = std::clamp(s * base[l], lo[l], hi[l]);
    return b;
  };
  const auto sum = [](const std::vector<double>& b) {
    double total = 0;
    for (double x : b) total += x;
    return total;
  };
  double low = 0, high = 1;
  while (sum(at(high)) < budget && high < 1e30) high *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (low + high) / 2;
    (sum(at(mid)) <= budget ? low : high) = mid;
  }
  return at(low);
}

Contender pyramidContender(const AllocationTable& table, double budget, double beta) {
  char label[64];
  std::snprintf(label, sizeof label, "pyramid layer budgets (beta %g)", beta);
  Contender c{label, {}, 0, 0, {}};
  std::map<int, std::vector<std::size_t>> byLayer;  // layer -> its targets, over every capture
  for (std::size_t t = 0; t < table.targets.size(); ++t) byLayer[table.targets[t].layer].push_back(t);
  const auto shares = pyramidShares(static_cast<int>(byLayer.size()), beta);
  std::vector<double> base, lo, hi;
  std::size_t l = 0;
  for (const auto& [layer, targets] : byLayer) {
    double raw = 0;
    for (auto t : targets) raw += table.targets[t].rawBytes;
    base.push_back(shares[l++] * raw);
    lo.push_back(std::numeric_limits<double>::infinity());
    for (std::size_t o = 0; o < table.options.size(); ++o) {
      double bytes = 0;
      for (auto t : targets) bytes += table.bytesAt(t, o);
      lo.back() = std::min(lo.back(), bytes);
    }
    hi.push_back(std::max(lo.back(), bestUniform(table, std::numeric_limits<double>::infinity(), targets).bytes));
  }
  double least = 0;
  for (double x : lo) least += x;
  if (least > budget) {
    c.note = "the layers' cheapest options exceed the budget";
    return c;
  }
  const double scale = [&] {
    double total = 0;
    for (double x : base) total += x;
    return budget / total;
  }();
  for (auto& x : base) x *= scale;  // shares of the budget before clamping
  const auto budgets = clampedBudgets(base, lo, hi, budget);
  c.choice.assign(table.targets.size(), -1);
  l = 0;
  for (const auto& [layer, targets] : byLayer) {
    const auto u = bestUniform(table, budgets[l++], targets);
    for (auto t : targets) c.choice[t] = u.option;
    c.bytes += u.bytes, c.damage += u.damage;
    c.note += (c.note.empty() ? "" : "; ") + ("L" + std::to_string(layer) + " " +
                                              table.options[static_cast<std::size_t>(u.option)].name());
  }
  return c;
}

}  // namespace

Allocation bestAllocation(const AllocationTable& table, double budget, const std::vector<int>& columns) {
  return AllocationSolver(table, columns).best(budget);
}

std::vector<double> pyramidShares(int layers, double beta) {
  if (layers < 1) throw std::invalid_argument("pyramid shares need at least one layer");
  if (!(beta > 1)) throw std::invalid_argument("pyramid beta must exceed 1");
  if (layers == 1) return {1.0};
  const double top = 1 / beta, bottom = 2 - top;
  std::vector<double> shares;
  for (int l = 0; l < layers; ++l) shares.push_back(bottom - (bottom - top) * l / (layers - 1));
  return shares;
}

std::vector<Contender> allocationContenders(const AllocationTable& table, double budget, double beta) {
  std::vector<Contender> out = {uniformContender(table, bestUniform(table, budget), "best uniform")};
  std::map<std::string, std::vector<int>> families;  // listed in the order the options name them
  std::vector<std::string> order;
  for (std::size_t o = 0; o < table.options.size(); ++o) {
    const std::string family = familyName(methodDescriptor(table.options[o].method).family);
    if (!families.contains(family)) order.push_back(family);
    families[family].push_back(static_cast<int>(o));
  }
  for (const auto& family : order) out.push_back(familyContender(table, budget, family, families[family]));
  out.push_back(pyramidContender(table, budget, beta));
  return out;
}

}  // namespace kvwb::core
