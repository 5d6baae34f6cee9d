// The allocation's option table from sweep results (core/alloc/allocation_table.h) and its outputs
// (allocation_output.h), on hand-made result rows: targets and options, aggregate rows as the
// job's parameters, options missing a target or infeasible dropped with a note, the family filter,
// the metric check, the CSV, the uniform comparison and the spec.
#include <gtest/gtest.h>

#include <sstream>

#include "core/alloc/allocation_output.h"
#include "core/alloc/allocation_table.h"
#include "core/base/errors.h"

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
  const auto options = table.knapsackOptions();
  EXPECT_EQ(options[2][1].id, 1);
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
  const auto a = KnapsackSolver(table.knapsackOptions()).solve(1000);
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

  const auto spec = allocationSpec(table, a, "s-alloc", "ratio 4");
  EXPECT_EQ(spec["name"], "s-alloc");
  EXPECT_EQ(spec["captures"], (nlohmann::json{"cap"}));
  EXPECT_EQ(spec["seq_lengths"], (nlohmann::json{448}));
  EXPECT_EQ(spec["targets"]["layers"], (nlohmann::json{0, 1}));
  EXPECT_EQ(spec["targets"]["kinds"], (nlohmann::json{"K", "V"}));
  EXPECT_EQ(spec["seed"], 3);
  int chosen = 0;
  for (const auto& use : optionUses(table, a)) chosen += use.targets;
  EXPECT_EQ(chosen, 4);
  EXPECT_EQ(spec["methods"].size(), optionUses(table, a).size());
  for (const auto& m : spec["methods"]) EXPECT_TRUE(m.contains("params"));
}
