// The allocator's items, heads coupled where eviction requires it (see allocation_solver.h).
#include "core/alloc/allocation_solver.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "core/alloc/knapsack_exact.h"

namespace kvwb::core {

struct AllocationSolver::Items {
  std::size_t targetCount = 0;
  std::vector<std::vector<Option>> items;
  std::vector<std::vector<std::size_t>> targets;
  std::vector<std::vector<std::vector<int>>> columns;
};

namespace {

// Options no other option of the item beats on both bytes and damage, in order of bytes; of equal
// ones the first.
std::vector<Option> undominated(std::vector<Option> options) {
  std::stable_sort(options.begin(), options.end(), [](const Option& a, const Option& b) {
    return std::tie(a.bytes, a.damage) < std::tie(b.bytes, b.damage);
  });
  std::vector<Option> kept;
  for (const auto& o : options)
    if (kept.empty() || o.damage < kept.back().damage) kept.push_back(o);
  return kept;
}

}  // namespace

AllocationSolver::AllocationSolver(const AllocationTable& table, const std::vector<int>& columns)
    : AllocationSolver([&] {
        std::vector<int> allowed = columns;
        if (allowed.empty())
          for (std::size_t o = 0; o < table.options.size(); ++o) allowed.push_back(static_cast<int>(o));
        Items built;
        built.targetCount = table.targets.size();
        // A head's keys and values, by capture, length, layer and head.
        std::map<std::tuple<std::string, int, int, int>, std::vector<std::size_t>> heads;
        for (std::size_t t = 0; t < table.targets.size(); ++t) {
          const auto& x = table.targets[t];
          heads[{x.capture, x.seqLen, x.layer, x.head}].push_back(t);
        }
        const auto cell = [&](std::size_t t, int o) {
          return std::pair{table.bytesAt(t, static_cast<std::size_t>(o)), table.damageAt(t, static_cast<std::size_t>(o))};
        };
        for (const auto& [head, targets] : heads) {
          const bool coupled = targets.size() == 2 && table.targets[targets[0]].kind != table.targets[targets[1]].kind;
          const auto groups = coupled ? std::vector<std::vector<std::size_t>>{targets}
                                      : [&] {
                                          std::vector<std::vector<std::size_t>> lone;
                                          for (auto t : targets) lone.push_back({t});
                                          return lone;
                                        }();
          for (const auto& group : groups) {
            std::vector<Option> options;
            std::vector<std::vector<int>> picks;
            const auto add = [&](std::vector<int> pick) {
              double bytes = 0, damage = 0;
              for (std::size_t i = 0; i < group.size(); ++i) {
                const auto [b, d] = cell(group[i], pick[i]);
                bytes += b, damage += d;
              }
              options.push_back({bytes, damage, static_cast<int>(picks.size())});
              picks.push_back(std::move(pick));
            };
            for (int a : allowed) {
              if (group.size() == 1) {
                add({a});
                continue;
              }
              for (int b : allowed)
                if (table.options[static_cast<std::size_t>(a)].selection == table.options[static_cast<std::size_t>(b)].selection)
                  add({a, b});
            }
            if (options.empty())
              throw std::invalid_argument("no pair of options for the keys and values of " + table.targets[group[0]].name() +
                                          " keeps the same tokens");
            built.items.push_back(undominated(std::move(options)));
            built.targets.push_back(group);
            built.columns.push_back(std::move(picks));
          }
        }
        return built;
      }()) {}

AllocationSolver::AllocationSolver(Items items)
    : m_targetCount(items.targetCount),
      m_items(std::move(items.items)),
      m_targets(std::move(items.targets)),
      m_columns(std::move(items.columns)),
      m_solver(m_items) {}

std::size_t AllocationSolver::optionCount() const {
  std::size_t n = 0;
  for (const auto& item : m_items) n += item.size();
  return n;
}

Allocation AllocationSolver::perTarget(const Allocation& onItems) const {
  Allocation a = onItems;
  a.choice.assign(m_targetCount, -1);
  for (std::size_t i = 0; i < m_items.size(); ++i) {
    const auto& option = m_items[i][static_cast<std::size_t>(onItems.choice[i])];
    const auto& pick = m_columns[i][static_cast<std::size_t>(option.id)];
    for (std::size_t k = 0; k < m_targets[i].size(); ++k) a.choice[m_targets[i][k]] = pick[k];
  }
  return a;
}

Allocation AllocationSolver::solve(double budget) const { return perTarget(m_solver.solve(budget)); }

std::optional<Allocation> AllocationSolver::solveExactly(double budget) const {
  const auto exact = kvwb::core::solveExactly(m_items, budget);
  return exact ? std::optional(perTarget(*exact)) : std::nullopt;
}

Allocation AllocationSolver::best(double budget) const {
  auto lp = solve(budget);  // throws below the least budget, naming it
  auto exact = solveExactly(budget);
  return exact ? *exact : lp;
}

}  // namespace kvwb::core
