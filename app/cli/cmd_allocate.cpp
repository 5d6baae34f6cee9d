// kvwb-cli allocate: a byte budget for the whole cache (issue 18). From a sweep's per-target
// results, one option (method and parameters) per target so that the bytes fit the budget and the
// summed predicted damage is least (core/alloc/knapsack.h); prints the options chosen, bytes against
// the budget, the damage with its LP lower bound and gap, and the best uniform option at the same
// budget and the other baselines; writes the choice per target (--csv) and a sweep spec that
// measures the allocation and its baselines as one job each (--spec).
// --predict allocates from damage predicted by structure (core/alloc/structure_prediction.h) instead.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "app/cli/commands.h"
#include "core/alloc/allocation_contenders.h"
#include "core/alloc/allocation_output.h"
#include "core/alloc/allocation_solver.h"
#include "core/alloc/structure_prediction.h"
#include "core/base/errors.h"
#include "core/compress/method_descriptor.h"
#include "core/reports/counterpart.h"
#include "core/reports/family_best.h"

namespace kvwb::cli {
namespace {

// "neural field", "Neural-Field" and "neuralfield" are one family.
std::string familyKey(const std::string& name) {
  std::string key;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c))) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// The method filter of --families (every method when none is named); unknown names are refused.
std::function<bool(const std::string&)> familyFilter(const std::vector<std::string>& families) {
  if (families.empty()) return {};
  std::set<std::string> known, asked;
  std::string list;
  for (const auto* m : core::methodDescriptors())
    if (known.insert(familyKey(core::familyName(m->family))).second)
      list += (list.empty() ? "" : ", ") + std::string(core::familyName(m->family));
  for (const auto& f : families) {
    if (!known.count(familyKey(f))) throw CLI::ValidationError("--families", "unknown family '" + f + "' (families: " + list + ")");
    asked.insert(familyKey(f));
  }
  return [asked](const std::string& method) { return asked.count(familyKey(core::familyOf(method))) > 0; };
}

std::string metricText(const core::AllocationTable& table, double value) {
  return core::formatMetric(table.metric, value);
}

// `text` padded to `width` characters (UTF-8 aware: "·" is one).
std::string padded(const std::string& text, std::size_t width) {
  std::size_t chars = 0;
  for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
  return text + std::string(width > chars ? width - chars : 0, ' ');
}

// The summed damage of `choice` (one option column per target) by `table`'s damage.
double summedDamage(const core::AllocationTable& table, const std::vector<int>& choice) {
  double sum = 0;
  for (std::size_t t = 0; t < choice.size(); ++t) sum += table.damageAt(t, choice[t]);
  return sum;
}

// The options `a` chose: per option its targets per kind, bytes and damage by `table`; then the total.
void printOptionUses(const core::AllocationTable& table, const core::Allocation& a) {
  const std::string metric = core::fitMetric(table.metric).column;
  std::printf("%s %-16s %12s %14s\n", padded("option", 40).c_str(), "targets", "bytes", metric.c_str());
  for (const auto& use : core::optionUses(table, a)) {
    std::string kinds;
    for (const auto& [kind, n] : use.kinds) kinds += (kinds.empty() ? "" : " ") + std::to_string(n) + " " + kind;
    std::printf("%s %-16s %12.0f %14s\n", padded(table.options[use.option].name(), 40).c_str(), kinds.c_str(), use.bytes,
                metricText(table, use.damage).c_str());
  }
  std::printf("%s %-16zu %12.0f %14s\n\n", padded("total", 40).c_str(), table.targets.size(), a.bytes,
              metricText(table, summedDamage(table, a.choice)).c_str());
}

// The allocation's predicted damage beside its baselines at the same budget (what --spec measures).
void printContenders(const core::AllocationTable& table, const core::Allocation& a, double budget) {
  const std::string metric = core::fitMetric(table.metric).column;
  const double raw = table.rawBytes();
  std::printf("\npredicted at the same budget (--spec writes each as one job; kvwb-cli sweep measures them):\n");
  std::printf("%s %12s %8s %14s  %s\n", padded("allocation", 34).c_str(), "bytes", "ratio", metric.c_str(), "choice");
  std::printf("%s %12.0f %8.3g %14s\n", padded("allocation (above)", 34).c_str(), a.bytes, raw / a.bytes,
              metricText(table, a.damage).c_str());
  for (const auto& c : core::allocationContenders(table, budget)) {
    if (c.choice.empty()) {
      std::printf("%s %12s %8s %14s  %s\n", padded(c.label, 34).c_str(), "-", "-", "-", c.note.c_str());
      continue;
    }
    // Discrete options can leave a baseline well under the budget: not a comparison at equal bytes.
    const std::string unequal = core::atEqualBytes(c.bytes, a.bytes) ? "" : "[not at equal bytes: >10% apart] ";
    std::printf("%s %12.0f %8.3g %14s  %s%s\n", padded(c.label, 34).c_str(), c.bytes, raw / c.bytes,
                metricText(table, c.damage).c_str(), unequal.c_str(), c.note.c_str());
  }
}

// `a`: the allocation shown (the exact one when `exact`, else `lp`); `lp`: the LP solver's.
void printAllocation(const core::AllocationTable& table, const core::Allocation& a, const core::Allocation& lp,
                     bool exact, double budget, const std::string& budgetText, const core::AllocationSolver& solver) {
  const std::string metric = core::fitMetric(table.metric).column;
  const double raw = table.rawBytes();
  std::printf("allocation by %s: %zu targets x %zu options; budget %.0f B (%s, raw float16 %.0f B)\n",
              metric.c_str(), table.targets.size(), table.options.size(), budget, budgetText.c_str(), raw);
  std::printf("chosen as %zu items (a head's keys and values together: both keep every token, or both evict the "
              "same tokens), %zu undominated options\n\n",
              solver.itemCount(), solver.optionCount());
  printOptionUses(table, a);
  std::printf("bytes %.0f of %.0f B budget (ratio %.3gx)\n", a.bytes, budget, raw / a.bytes);
  std::printf("predicted %s: %s summed over the targets, %s per target\n", metric.c_str(),
              metricText(table, a.damage).c_str(), metricText(table, a.damage / table.targets.size()).c_str());
  std::printf("LP lower bound %s; LP + greedy repair %s, %.0f B (within %s, %.2g%%, of the optimum)\n",
              metricText(table, lp.lowerBound).c_str(), metricText(table, lp.damage).c_str(), lp.bytes,
              metricText(table, lp.gap).c_str(), 100 * lp.relativeGap);
  std::printf(exact ? "the allocation above is the exact optimum (dynamic programme over bytes)\n"
                    : "the allocation above is the LP + greedy repair (too large for the exact programme)\n");
  if (budget > solver.maxUsefulBytes())
    std::printf("(the budget exceeds what the options can use: %.0f B puts every target at its least %s)\n",
                solver.maxUsefulBytes(), metric.c_str());
  printContenders(table, a, budget);
  for (const auto& note : core::allocationNotes(table)) std::printf("note: %s\n", note.c_str());
}

// The LP + repair choice for `budget`, and the exact optimum where the programme fits.
struct Solved {
  core::Allocation lp;
  std::optional<core::Allocation> exact;
  const core::Allocation& best() const { return exact ? *exact : lp; }
};
Solved solve(const core::AllocationTable& table, const core::AllocationSolver& solver, double budget,
             const std::string& project) {
  try {
    Solved s{solver.solve(budget), {}};
    s.exact = solver.solveExactly(budget);
    return s;
  } catch (const std::invalid_argument& e) {
    char reach[64];
    std::snprintf(reach, sizeof reach, "; the highest ratio within reach is %.4g", table.rawBytes() / solver.minBytes());
    throw core::InputError(project, e.what() + std::string(reach));
  }
}

// --predict: the model's held-out error against the mean baseline, then the allocation chosen from
// the predicted damage, evaluated with the measured damage, against the measured optimum.
void printPrediction(const core::AllocationTable& table, const core::StructurePrediction& p, const Solved& fromPrediction,
                     const core::Allocation& measuredBest, double budget, const std::string& budgetText) {
  const std::string metric = core::fitMetric(table.metric).column;
  std::printf("structure prediction of ln(%s + %.3g): ridge (lambda %g) on %zu standardised features, "
              "leave-one-layer-out over %d layers (%zu targets)\nfeatures:",
              metric.c_str(), p.eps, p.lambda, p.features.size(), p.layers, table.targets.size());
  for (const auto& f : p.features) std::printf(" %s", f.c_str());
  std::printf("\n\n%s %14s %14s %8s %12s\n", padded("option (held-out, ln units)", 40).c_str(), "ridge RMSE",
              "mean RMSE", "R^2", "mean R^2");
  const auto row = [](const std::string& name, const core::PredictionScore& s) {
    std::printf("%s %14.3f %14.3f %8.3f %12.3f\n", padded(name, 40).c_str(), s.rmse, s.baselineRmse, s.r2, s.baselineR2);
  };
  for (std::size_t o = 0; o < table.options.size(); ++o) row(table.options[o].name(), p.perOption[o]);
  row("all options", p.overall);
  const auto& a = fromPrediction.best();
  const double measured = summedDamage(table, a.choice);
  std::printf("\nallocation from the predictions alone (%s of the predicted table; budget %.0f B, %s), "
              "with the measured %s:\n",
              fromPrediction.exact ? "exact optimum" : "LP + greedy repair", budget, budgetText.c_str(), metric.c_str());
  printOptionUses(table, a);
  std::printf("measured %s: from predictions %s (%.0f B), measured-optimal %s (%.0f B)\n", metric.c_str(),
              metricText(table, measured).c_str(), a.bytes, metricText(table, measuredBest.damage).c_str(),
              measuredBest.bytes);
  std::printf("excess damage of the prediction-driven allocation: %s", metricText(table, measured - measuredBest.damage).c_str());
  if (measuredBest.damage > 0) std::printf(" (%+.1f%% over the measured optimum)", 100 * (measured / measuredBest.damage - 1));
  std::printf("\n");
  const auto uniform = core::bestUniform(table, budget);
  if (uniform.option >= 0)
    std::printf("best uniform option (measured): %s, %s %s\n", table.options[uniform.option].name().c_str(),
                metric.c_str(), metricText(table, uniform.damage).c_str());
  std::printf("(the model's own estimate of its choice: %s)\n", metricText(table, fromPrediction.best().damage).c_str());
}

template <typename Write>
void writeFile(const std::string& path, const char* what, Write write) {
  std::ofstream file(path);
  if (!file) throw core::InputError(path, "cannot write");
  write(file);
  if (!file.flush()) throw core::InputError(path, "cannot write");
  std::printf("wrote %s to %s\n", what, path.c_str());
}

}  // namespace

void addAllocateCommand(CLI::App& app) {
  struct Args {
    std::string project, metric = "attn_kl", csv, spec, specName;
    std::vector<std::string> runs, families;
    double ratio = 0, bytes = 0, lambda = 1.0;
    bool predict = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "allocate",
      "A byte budget for the whole cache: one method and parameters per target (layer, head, K or V) from "
      "a sweep's per-target results, least summed damage within the budget (docs/ALLOCATION.md)");
  cmd->add_option("project", args->project, "Project file (.kvw) with the sweep's runs")->required()->check(CLI::ExistingFile);
  cmd->add_option("--run", args->runs, "A run id or a sweep name (all its runs); repeatable; default: every run");
  auto* budget = cmd->add_option_group("budget", "exactly one of");
  budget->add_option("--ratio", args->ratio, "Budget: the raw float16 bytes of every target / R")->check(CLI::PositiveNumber);
  budget->add_option("--bytes", args->bytes, "Budget in bytes")->check(CLI::PositiveNumber);
  budget->require_option(1);
  cmd->add_option("--metric", args->metric,
                  "Predicted damage to minimise, a per-target metric where lower is better: attn_kl, attn_out_err, "
                  "rel_err, or delta_ppl, kld, ln_ppl_ratio where measured per target")
      ->capture_default_str();
  cmd->add_option("--families", args->families, "Only methods of these families (low-rank, quantization, ...)")
      ->delimiter(',');
  cmd->add_flag("--predict", args->predict,
               "Allocate from damage predicted by the targets' structure scalars (ridge, leave-one-layer-out; "
               "needs kvwb-cli analyze) and compare with the measured optimum");
  cmd->add_option("--lambda", args->lambda, "Ridge penalty of --predict, on standardised features")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--csv", args->csv, "Write the choice per target to this CSV file ('-' = stdout)");
  cmd->add_option("--spec", args->spec, "Write a sweep spec (JSON) that runs the chosen fits");
  cmd->add_option("--spec-name", args->specName, "The written spec's sweep name (default: <sweep>-alloc)");
  cmd->callback([args] {
    const auto project = core::Project::open(args->project);
    const auto keep = familyFilter(args->families);
    const auto runs = core::loadRunResults(project, core::selectRuns(project.runs(), args->runs, args->project));
    if (runs.empty()) throw core::InputError(args->project, "has no runs to allocate from (run a sweep first)");
    core::AllocationTable table;
    try {
      table = core::buildAllocationTable(runs, core::allocationMetric(args->metric), keep);
    } catch (const std::invalid_argument& e) {
      throw core::InputError(args->project, e.what());
    }
    const double budget = args->ratio > 0 ? table.rawBytes() / args->ratio : args->bytes;
    char budgetText[64];
    std::snprintf(budgetText, sizeof budgetText, args->ratio > 0 ? "ratio %g" : "%.0f bytes",
                  args->ratio > 0 ? args->ratio : args->bytes);
    const core::AllocationSolver solver(table);
    const Solved measured = solve(table, solver, budget, args->project);
    std::optional<Solved> predicted;
    if (args->predict) {
      core::StructurePrediction prediction;
      try {
        prediction = core::predictFromStructure(table, core::structureFeatures(project, table), args->lambda);
      } catch (const std::invalid_argument& e) {
        throw core::InputError(args->project, e.what());
      }
      predicted = solve(prediction.predicted, core::AllocationSolver(prediction.predicted), budget,
                        args->project);
      if (args->csv != "-") printPrediction(table, prediction, *predicted, measured.best(), budget, budgetText);
    }
    // --predict writes the allocation chosen from the predictions (with its measured damage).
    const core::Allocation& a = predicted ? predicted->best() : measured.best();
    if (args->csv == "-") {
      core::writeAllocationCsv(table, a, std::cout);
      return;
    }
    if (!predicted) printAllocation(table, a, measured.lp, measured.exact.has_value(), budget, budgetText, solver);
    if (!args->csv.empty())
      writeFile(args->csv, "the choice per target", [&](std::ostream& out) { core::writeAllocationCsv(table, a, out); });
    if (args->spec.empty()) return;
    const std::string name =
        !args->specName.empty() ? args->specName : table.sourceSpec.value("name", std::string("allocation")) + "-alloc";
    nlohmann::json spec;
    try {
      spec = core::allocationSpec(table, a, budget, name, budgetText,
                                  predicted ? "allocation from structure" : "allocation");
    } catch (const std::invalid_argument& e) {
      throw core::InputError(args->project, e.what());
    }
    core::parseSweepSpec(spec, args->spec);  // a spec the sweep accepts, or an error naming the file
    writeFile(args->spec, "a sweep spec of the allocation and its baselines",
              [&](std::ostream& out) { out << spec.dump(2) << '\n'; });
    std::printf("measure them: kvwb-cli sweep %s %s; then kvwb-cli summary %s --run %s\n", args->project.c_str(),
                args->spec.c_str(), args->project.c_str(), name.c_str());
  });
}

}  // namespace kvwb::cli
