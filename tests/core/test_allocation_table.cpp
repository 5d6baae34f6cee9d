// The allocation's option table from sweep results (core/alloc/allocation_table.h) and its outputs
// (allocation_output.h), on hand-made result rows: targets and options, aggregate rows as the
// job's parameters, options missing a target or infeasible dropped with a note, the family filter,
// the metric check, the CSV, the uniform comparison, the baselines at the same budget and the spec
// that measures them.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "core/alloc/allocation_contenders.h"
#include "core/alloc/allocation_output.h"
#include "core/alloc/allocation_solver.h"
#include "core/alloc/allocation_table.h"
#include "core/base/errors.h"
#include "core/sweep/sweep_spec.h"

using namespace kvwb::core;

namespace {

ResultRow targetRow(int layer, int head, const std::string& kind, const nlohmann::json& params, double bytes,
                    double kl) {
  ResultRow r;
  r.layer = layer, r.head = head, r.kind = kind;
  r.paramsJson = params.dump();
  r[FitMetric::Bytes] = bytes;
  r[FitMetric::Ratio] = 1000 / bytes;  // raw float16: 1000 B per target
  r[FitMetric::AttnKl] = kl;
  return r;
}

ResultRow jobRow(const nlohmann::json& params) {
  ResultRow r;
  r.layer = r.head = -1, r.kind = "all";
  r.paramsJson = params.dump();
  return r;
}

// One run of `method`: per job (requested params, per-target bytes and damage) its aggregate row
// and a row per target of layers 0-1, head 0, K and V (`skip`: the target index left out).
RunResults run(const std::string& method, const std::vector<std::pair<nlohmann::json, double>>& jobs, int skip = -1) {
  RunResults r;
  r.run.id = "s." + std::string("cap.") + method;
  r.run.method = method;
  r.run.capture = "cap";
  r.run.paramsJson = nlohmann::json{{"spec", {{"name", "s"}, {"metrics", {{"attention", true}}}, {"seed", 3},
                                              {"methods", {{{"method", method}, {"quality", {{"windows", 2}}}}}}}}}
                         .dump();
  int j = 0;
  for (const auto& [params, bytes] : jobs) {
    auto p = params;
    p["job"] = method + std::to_string(j++);
    p["seq_len"] = 448;
    r.rows.push_back(jobRow(p));
    if (bytes <= 0) {  // infeasible: only its aggregate row
      p["infeasible"] = "rank above D";
      r.rows.back().paramsJson = p.dump();
      continue;
    }
    auto effective = p;
    effective["group"] = 448;  // what a target ran with, not what the spec asked
    int t = 0;
    for (int layer : {0, 1})
      for (const char* kind : {"K", "V"})
        if (t++ != skip) r.rows.push_back(targetRow(layer, 0, kind, effective, bytes + layer, 100 / bytes + layer));
  }
  return r;
}

}  // namespace

TEST(AllocationTable, TargetsByOptionsFromTheJobsParameters) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}, {{{"rank", 2}}, 200}}),
                                        run("quant", {{{{"bits", 4}}, 300}})};
  const auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  ASSERT_EQ(table.targets.size(), 4u);
  ASSERT_EQ(table.options.size(), 3u);
  EXPECT_EQ(table.targets[0].name(), "cap n=448 L0 H0 K");
  EXPECT_EQ(table.targets[3].name(), "cap n=448 L1 H0 V");
  EXPECT_EQ(table.options[1].name(), "svd rank=2");
  EXPECT_EQ(table.options[2].params, (nlohmann::json{{"bits", 4}}));  // not the targets' "group"
  EXPECT_EQ(table.options[2].quality, (nlohmann::json{{"windows", 2}}));
  EXPECT_DOUBLE_EQ(table.bytesAt(3, 1), 201);
  EXPECT_DOUBLE_EQ(table.damageAt(3, 2), 100.0 / 300 + 1);
  EXPECT_DOUBLE_EQ(table.rawBytes(), 4000);
  EXPECT_TRUE(table.notes.empty());
  for (const auto& o : table.options) EXPECT_EQ(o.selection, "") << o.name() << " keeps every token";
  EXPECT_EQ(table.sourceSpec.value("seed", 0), 3);
}

TEST(AllocationTable, OptionsNotOnEveryTargetAreDroppedWithANote) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}, {{{"rank", 9}}, -1}}),
                                        run("quant", {{{{"bits", 4}}, 300}}, /*skip=*/1)};
  const auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  ASSERT_EQ(table.options.size(), 1u);
  ASSERT_EQ(table.notes.size(), 2u);
  EXPECT_NE(table.notes[0].find("svd rank=9: infeasible"), std::string::npos) << table.notes[0];
  EXPECT_NE(table.notes[1].find("quant bits=4: attn_kl measured on 3 of 4 targets (not cap n=448 L0 H0 V"),
            std::string::npos)
      << table.notes[1];
}

TEST(AllocationTable, FamiliesMetricAndRunsAreChecked) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}}), run("quant", {{{{"bits", 4}}, 300}})};
  const auto onlySvd = buildAllocationTable(runs, FitMetric::AttnKl, [](const std::string& m) { return m == "svd"; });
  EXPECT_EQ(onlySvd.options.size(), 1u);
  EXPECT_EQ(onlySvd.notes, (std::vector<std::string>{"left out by family: quant"}));
  EXPECT_THROW(buildAllocationTable(runs, FitMetric::AttnOutErr), std::invalid_argument);  // not measured
  EXPECT_EQ(allocationMetric("attn_out_err"), FitMetric::AttnOutErr);
  EXPECT_THROW(allocationMetric("cos_sim"), std::invalid_argument);  // higher is better
  EXPECT_THROW(allocationMetric("bytes"), std::invalid_argument);

  std::vector<RunInfo> all(3);
  all[0].id = "a.cap.svd", all[1].id = "a.cap.quant", all[2].id = "b.cap.svd";
  EXPECT_EQ(selectRuns(all, {"a"}, "p.kvw").size(), 2u);
  EXPECT_EQ(selectRuns(all, {"b.cap.svd"}, "p.kvw").size(), 1u);
  EXPECT_EQ(selectRuns(all, {}, "p.kvw").size(), 3u);
  EXPECT_THROW(selectRuns(all, {"c"}, "p.kvw"), InputError);
}

TEST(AllocationOutput, CsvUniformChoiceAndSpec) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}, {{{"rank", 2}}, 200}}),
                                        run("quant", {{{{"bits", 4}}, 300}})};
  const auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  const auto a = AllocationSolver(table).solve(1000);
  EXPECT_LE(a.bytes, 1000);

  const auto uniform = bestUniform(table, 1000);  // svd rank=2: 802 B; quant: 1202 B does not fit
  EXPECT_EQ(uniform.option, 1);
  EXPECT_DOUBLE_EQ(uniform.bytes, 802);
  EXPECT_EQ(bestUniform(table, 10).option, -1);

  std::ostringstream csv;
  EXPECT_EQ(writeAllocationCsv(table, a, csv), 4u);
  std::istringstream lines(csv.str());
  std::string header, first;
  std::getline(lines, header), std::getline(lines, first);
  EXPECT_EQ(header, "capture,seq_len,layer,head,kind,method,params,bytes,attn_kl");
  EXPECT_EQ(first.rfind("cap,448,0,0,K,", 0), 0u) << first;

  const auto spec = allocationSpec(table, a, 1000, "s-alloc", "ratio 4");
  EXPECT_EQ(spec["name"], "s-alloc");
  EXPECT_EQ(spec["captures"], (nlohmann::json{"cap"}));
  EXPECT_EQ(spec["seq_lengths"], (nlohmann::json{448}));
  EXPECT_EQ(spec["targets"]["layers"], (nlohmann::json{0, 1}));
  EXPECT_EQ(spec["targets"]["kinds"], (nlohmann::json{"K", "V"}));
  EXPECT_EQ(spec["seed"], 3);
  EXPECT_TRUE(spec["metrics"]["quality"].is_object());  // measured, though the runs' spec had none
  // First the allocation itself: every target once, with its chosen option.
  const auto& job = spec["methods"][0];
  EXPECT_EQ(job["method"], "allocation");
  EXPECT_EQ(job["params"]["label"], "allocation");
  const auto& assignment = job["params"]["assignment"];
  ASSERT_EQ(assignment.size(), table.targets.size());
  for (std::size_t t = 0; t < table.targets.size(); ++t) {
    const auto& option = table.options[static_cast<std::size_t>(a.choice[t])];
    EXPECT_EQ(assignment[t]["layer"], table.targets[t].layer);
    EXPECT_EQ(assignment[t]["kind"], table.targets[t].kind);
    EXPECT_EQ(assignment[t]["capture"], "cap");
    EXPECT_EQ(assignment[t]["method"], option.method);
    for (const auto& [key, value] : option.params.items()) EXPECT_EQ(assignment[t][key], value);
  }
  // Then the baselines: the best uniform option as a job of its own method.
  EXPECT_EQ(spec["methods"][1]["method"], "svd");
  EXPECT_EQ(spec["methods"][1]["params"], (nlohmann::json{{"rank", 2}}));
  EXPECT_NO_THROW(parseSweepSpec(spec, "s-alloc.json"));
}

// Chosen by a statistic of the quality windows, an allocation is measured on the text after them.
TEST(AllocationOutput, AnAllocationChosenOnQualityWindowsIsMeasuredOnOthers) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}, {{{"rank", 2}}, 200}})};
  auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  const auto a = AllocationSolver(table).best(1000);
  EXPECT_FALSE(allocationSpec(table, a, 1000, "x", "ratio 4")["metrics"]["quality"].contains("first"));
  table.metric = FitMetric::Kld;  // as if measured per target (metrics.quality.per_target)
  table.sourceSpec["metrics"] = {{"quality", {{"windows", 4}, {"continuation", 32}, {"greedy", 0}, {"per_target", true}}}};
  const auto spec = allocationSpec(table, a, 1000, "x", "ratio 4");
  EXPECT_EQ(spec["metrics"]["quality"]["first"], 4 * (448 + 32));  // after 4 windows of 448 + 32 tokens
  EXPECT_FALSE(spec["metrics"]["quality"].contains("per_target"));
  EXPECT_NO_THROW(parseSweepSpec(spec, "x.json"));
}

TEST(AllocationContenders, UniformFamiliesAndPyramidStayWithinTheBudget) {
  const std::vector<RunResults> runs = {run("svd", {{{{"rank", 1}}, 100}, {{{"rank", 2}}, 200}}),
                                        run("quant", {{{{"bits", 4}}, 300}, {{{"bits", 8}}, 500}})};
  const auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  for (double budget : {410.0, 700.0, 1000.0, 1300.0, 2100.0}) {
    const auto best = bestAllocation(table, budget);
    const auto contenders = allocationContenders(table, budget);
    ASSERT_EQ(contenders.size(), 4u);  // uniform, low-rank, quantization, pyramid
    EXPECT_EQ(contenders[0].label, "best uniform");
    EXPECT_EQ(contenders[1].label, "best low-rank");
    EXPECT_EQ(contenders[2].label, "best quantization");
    for (const auto& c : contenders) {
      if (c.choice.empty()) continue;
      double bytes = 0, damage = 0;
      for (std::size_t t = 0; t < table.targets.size(); ++t)
        bytes += table.bytesAt(t, c.choice[t]), damage += table.damageAt(t, c.choice[t]);
      EXPECT_LE(bytes, budget) << c.label;
      EXPECT_DOUBLE_EQ(bytes, c.bytes) << c.label;
      EXPECT_DOUBLE_EQ(damage, c.damage) << c.label;
      EXPECT_GE(damage, best.damage - 1e-12) << c.label << ": the allocation over every option is optimal";
    }
    // A family's allocation uses only its own methods.
    for (std::size_t t = 0; !contenders[2].choice.empty() && t < table.targets.size(); ++t)
      EXPECT_EQ(table.options[contenders[2].choice[t]].method, "quant");
    // The pyramid gives a layer one option for all its targets.
    const auto& pyramid = contenders[3];
    if (pyramid.choice.empty()) continue;
    for (std::size_t t = 0; t < table.targets.size(); ++t)
      for (std::size_t u = 0; u < table.targets.size(); ++u)
        if (table.targets[t].layer == table.targets[u].layer) EXPECT_EQ(pyramid.choice[t], pyramid.choice[u]);
  }
  EXPECT_TRUE(allocationContenders(table, 410)[2].choice.empty());  // quant at 4 x 300+ B does not fit
  EXPECT_EQ(allocationContenders(table, 410)[2].note.find("no allocation"), 0u);
}

TEST(AllocationContenders, PyramidSharesFallLinearlyWithMeanOne) {
  const auto s = pyramidShares(5, 20);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_DOUBLE_EQ(s.front(), 2 - 0.05);
  EXPECT_NEAR(s.back(), 0.05, 1e-12);
  double sum = 0;
  for (std::size_t l = 0; l < s.size(); ++l) {
    sum += s[l];
    if (l) EXPECT_LT(s[l], s[l - 1]);
  }
  EXPECT_NEAR(sum / 5, 1.0, 1e-12);
  EXPECT_EQ(pyramidShares(1, 20), std::vector<double>{1.0});
  EXPECT_THROW(pyramidShares(3, 1), std::invalid_argument);
}

// Eviction couples a head's keys and values: the solver pairs them only when both keep every
// token or both evict the same tokens, and finds the best such choice (brute force over the pairs).
TEST(AllocationSolver, AHeadsKeysAndValuesKeepTheSameTokens) {
  std::vector<RunResults> runs = {run("quant", {{{{"bits", 8}}, 500}, {{{"bits", 4}}, 300}}),
                                  run("h2o", {{{{"ratio", 2}}, 250}, {{{"ratio", 4}}, 120}})};
  // The tokens kept: each h2o job's effective budget, as a sweep records it per target.
  for (auto& row : runs[1].rows) {
    auto p = nlohmann::json::parse(row.paramsJson);
    if (row.layer < 0) continue;
    p["budget"] = p["job"] == "h2o0" ? 224 : 112;
    row.paramsJson = p.dump();
  }
  const auto table = buildAllocationTable(runs, FitMetric::AttnKl);
  ASSERT_EQ(table.options.size(), 4u);
  EXPECT_EQ(table.options[0].selection, "");
  EXPECT_NE(table.options[2].selection, "");
  EXPECT_NE(table.options[2].selection, table.options[3].selection);
  const AllocationSolver solver(table);
  EXPECT_EQ(solver.itemCount(), 2u);  // two heads, keys and values together
  const auto consistent = [&](const std::vector<int>& c) {
    for (std::size_t t = 0; t + 1 < c.size(); t += 2)  // targets: L0 K, L0 V, L1 K, L1 V
      if (table.options[c[t]].selection != table.options[c[t + 1]].selection) return false;
    return true;
  };
  for (double budget = 500; budget <= 2100; budget += 37) {
    double optimum = std::numeric_limits<double>::infinity();
    std::vector<int> c(4);
    for (c[0] = 0; c[0] < 4; ++c[0])
      for (c[1] = 0; c[1] < 4; ++c[1])
        for (c[2] = 0; c[2] < 4; ++c[2])
          for (c[3] = 0; c[3] < 4; ++c[3]) {
            double bytes = 0, damage = 0;
            for (std::size_t t = 0; t < 4; ++t) bytes += table.bytesAt(t, c[t]), damage += table.damageAt(t, c[t]);
            if (bytes <= budget && consistent(c)) optimum = std::min(optimum, damage);
          }
    if (!std::isfinite(optimum)) {
      EXPECT_THROW(solver.best(budget), std::invalid_argument) << budget;
      continue;
    }
    const auto a = solver.best(budget);
    ASSERT_EQ(a.choice.size(), 4u);
    EXPECT_TRUE(consistent(a.choice)) << budget;
    EXPECT_LE(a.bytes, budget);
    EXPECT_NEAR(a.damage, optimum, 1e-9) << budget;
    const auto lp = solver.solve(budget);
    EXPECT_TRUE(consistent(lp.choice));
    EXPECT_LE(lp.damage - optimum, lp.gap + 1e-9);
  }
}
