// A byte budget for the whole cache (issue 18): pick one option (a method and its parameters) per
// target so that the summed bytes stay within the budget and the summed predicted damage is least
// (a multiple-choice knapsack). Lagrangian (LP) relaxation on each target's lower convex hull of
// (bytes, damage), then a greedy repair to an integer choice; the LP value bounds the optimum from
// below, so every answer states how far from optimal it can be. Plain data, no Qt, no torch; a
// KnapsackSolver is immutable after construction, so any thread may call solve() concurrently.
//
//   kvwb::core::KnapsackSolver solver(options);   // hulls and sorted segments, once
//   for (double b : budgets) {                    // a slider: each solve is cheap
//     const auto a = solver.solve(b);             // a.choice[t]: the position in options[t]
//     std::printf("%g B, damage %g, optimal within %g\n", a.bytes, a.damage, a.gap);
//   }
#pragma once

#include <cstddef>
#include <vector>

namespace kvwb::core {

// One way to compress one target: its bytes and predicted damage (lower is better). `id` is the
// caller's (an option column, a job); the solver carries it and never reads it.
struct Option {
  double bytes = 0, damage = 0;
  int id = 0;
};

struct Allocation {
  std::vector<int> choice;  // per target: the chosen option's position in that target's list
  double bytes = 0, damage = 0;  // summed over the targets; bytes <= the budget
  // The LP relaxation's value: no choice within the budget has less damage. The optimum lies in
  // [lowerBound, damage]; gap = damage - lowerBound bounds how far this choice is from it, and
  // relativeGap = gap / damage (0 when damage is 0).
  double lowerBound = 0, gap = 0, relativeGap = 0;
};

class KnapsackSolver {
 public:
  // targets[t]: the options of target t (at least one each, finite, bytes >= 0). Throws
  // std::invalid_argument naming the target and option otherwise. O(n log n) in all options.
  explicit KnapsackSolver(const std::vector<std::vector<Option>>& targets);

  std::size_t targetCount() const { return m_targets.size(); }
  // Every target at its cheapest option (least damage among equally cheap ones): the least budget
  // that any choice fits.
  double minBytes() const { return m_minBytes; }
  // Every target at its least-damage option (cheapest among equally good ones): more budget than
  // this changes nothing.
  double maxUsefulBytes() const { return m_maxUsefulBytes; }

  // The choice for `budget` bytes. Throws std::invalid_argument when the budget is below
  // minBytes() (the message names both) or not a number. O(log s + s_used + repair), s = hull
  // segments: a few hundred microseconds for 512 targets x 50 options.
  Allocation solve(double budget) const;

 private:
  struct Target {
    std::vector<Option> options;  // as given
    std::vector<int> byBytes;     // positions sorted by (bytes, damage): the repair's scan order
    std::vector<int> hull;        // positions on the lower convex hull, bytes increasing
  };
  std::vector<Target> m_targets;
  // Every hull segment (one step up a target's hull), by efficiency (damage saved per byte)
  // descending; a target's segments in hull order. Prefix sums: cumBytes[k], cumDamage[k] of the
  // first k segments (cumDamage <= 0).
  std::vector<int> m_segTarget, m_segLevel;  // the target, and the hull position it steps to
  std::vector<double> m_segBytes, m_segDamage;  // its bytes added, damage added (< 0)
  std::vector<double> m_cumBytes, m_cumDamage;
  double m_minBytes = 0, m_baseDamage = 0, m_maxUsefulBytes = 0;

  double totalBytes(const std::vector<int>& choice) const;
  double totalDamage(const std::vector<int>& choice) const;
  // The first k segments (and segment `forced`, when < the segment count), with segments given
  // back from the k-th down until the bytes fit; empty when they cannot.
  std::vector<int> prefixChoice(std::size_t k, std::size_t forced, double budget) const;
  void repair(std::vector<int>& choice, double budget) const;
};

// One-shot form: builds the solver and solves for one budget.
Allocation solveMultipleChoiceKnapsack(const std::vector<std::vector<Option>>& targets, double budget);

}  // namespace kvwb::core
