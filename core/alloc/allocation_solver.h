// The allocator over an option table (issue 18): the knapsack's items, its LP solver built once
// (a budget slider re-solves in well under a millisecond) and the exact programme where it fits,
// with every answer given per target as table columns.
//
// Token eviction couples a head's keys and values: attention skips a position that either side
// evicted (CacheSubstitution), so keys that evict with one selection beside values that keep
// other tokens pay for rows no query reads, and the damage measured per target misses the union
// of the two masks. So where a table holds both the keys and the values of a head, the head is
// one item whose options are the (keys, values) pairs of equal token selection: both keep every
// token (any two such options), or both evict by the same rule and budget
// (AllocationOption::selection; what each does with the kept rows may differ). Other targets are
// items of their own. Options an item's other options dominate (no fewer bytes and no less damage)
// are dropped before solving. Plain data, no Qt, no torch; const methods are thread-safe.
//
//   const kvwb::core::AllocationSolver solver(table);
//   const auto a = solver.best(table.rawBytes() / 4);   // a.choice[t]: table column of target t
#pragma once

#include <optional>
#include <vector>

#include "core/alloc/allocation_table.h"
#include "core/alloc/knapsack.h"

namespace kvwb::core {

class AllocationSolver {
 public:
  // `columns`: the option columns allowed (every column when empty). Throws std::invalid_argument
  // when a coupled head has no pair of equal selection among them.
  explicit AllocationSolver(const AllocationTable& table, const std::vector<int>& columns = {});

  std::size_t itemCount() const { return m_items.size(); }
  std::size_t optionCount() const;  // over every item, after dropping dominated ones
  double minBytes() const { return m_solver.minBytes(); }
  double maxUsefulBytes() const { return m_solver.maxUsefulBytes(); }

  // LP + greedy repair with its gap (KnapsackSolver::solve); throws std::invalid_argument below
  // minBytes().
  Allocation solve(double budget) const;
  // The exact optimum (knapsack_exact.h), nullopt where the programme does not fit.
  std::optional<Allocation> solveExactly(double budget) const;
  // The exact optimum where it fits, else solve().
  Allocation best(double budget) const;

 private:
  struct Items;  // what the constructor builds before the solver
  explicit AllocationSolver(Items items);
  Allocation perTarget(const Allocation& onItems) const;

  std::size_t m_targetCount = 0;
  std::vector<std::vector<Option>> m_items;               // Option.id: its index in m_columns[item]
  std::vector<std::vector<std::size_t>> m_targets;        // per item: its targets (1, or a head's K and V)
  std::vector<std::vector<std::vector<int>>> m_columns;   // per item, per option: a column per target
  KnapsackSolver m_solver;
};

}  // namespace kvwb::core
