// An allocation measured, not only predicted (issue 18 item 2), on the real demo project: a sweep
// of three options, the optimal allocation at 4x from its results, then the spec that
// allocationSpec writes run as a sweep. The allocation's job fits each target with its own option
// (bytes and damage equal to the table's cell for that option), its aggregate row holds the model
// quality of the whole allocated cache with error bars, the summary names it by its label, and
// every baseline stays within the budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/alloc/allocation_contenders.h"
#include "core/alloc/allocation_output.h"
#include "core/reports/results_summary.h"
#include "core/sweep/sweep.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

const char* kOptions = R"({
  "name": "opts", "captures": ["tinystories"],
  "targets": {"layers": [0, 2], "heads": "all", "kinds": ["K", "V"]}, "seq_lengths": [128],
  "methods": [{"method": "svd", "grid": {"rank": [1, 2]}}, {"method": "quant", "params": {"axis": "kivi"}, "grid": {"bits": [4]}}],
  "metrics": {"attention": true, "delta_ppl": "none", "quality": "none"}, "device": "cpu", "seed": 1
})";

}  // namespace

TEST(AllocationJob, RunsEachTargetsOwnOptionAndMeasuresTheWholeCache) {
  kvwb::test::TempDir dir;
  const auto path = kvwb::test::copyDemoProject(dir.path());
  if (path.empty()) GTEST_SKIP() << "datasets/demo.kvw missing";
  JobContext ctx;
  runSweep(path, parseSweepSpec(nlohmann::json::parse(kOptions), "opts.json"), ctx);

  const auto project = Project::open(path);
  const auto table = buildAllocationTable(loadRunResults(project, selectRuns(project.runs(), {"opts"}, path)),
                                          FitMetric::AttnOutErr);
  ASSERT_EQ(table.targets.size(), 16u);  // 2 layers x 4 heads x K, V
  ASSERT_EQ(table.options.size(), 3u);
  const double budget = table.rawBytes() / 4;
  const auto a = bestAllocation(table, budget);
  std::set<int> used(a.choice.begin(), a.choice.end());
  ASSERT_GT(used.size(), 1u) << "the test needs an allocation that mixes options";

  auto spec = allocationSpec(table, a, budget, "opts-alloc", "ratio 4");
  spec["metrics"]["quality"] = {{"windows", 2}, {"continuation", 16}, {"greedy", 0}};
  runSweep(path, parseSweepSpec(spec, "opts-alloc.json"), ctx);

  const auto after = Project::open(path);
  const auto runs = loadRunResults(after, selectRuns(after.runs(), {"opts-alloc"}, path));
  const auto allocation = std::find_if(runs.begin(), runs.end(), [](const RunResults& r) { return r.run.method == "allocation"; });
  ASSERT_NE(allocation, runs.end());
  std::map<std::string, nlohmann::json> labels;  // job -> label
  std::map<std::string, double> jobBytes;
  for (const auto& row : allocation->rows) {
    const auto params = nlohmann::json::parse(row.paramsJson);
    const std::string job = params["job"];
    if (row.layer < 0) {
      labels[job] = params.value("label", "");
      EXPECT_TRUE(std::isfinite(row[FitMetric::Kld]) && row[FitMetric::Kld] > 0);
      EXPECT_TRUE(std::isfinite(row[FitMetric::KldSe]) && row[FitMetric::KldSe] > 0);
      EXPECT_TRUE(std::isfinite(row[FitMetric::LnPplRatioSe]));
      EXPECT_LE(row[FitMetric::Bytes], budget);
      continue;
    }
    jobBytes[job] += row[FitMetric::Bytes];
  }
  ASSERT_FALSE(labels.empty());
  // The optimal allocation's job: each target's own option, as the table measured it.
  const auto optimal = std::find_if(labels.begin(), labels.end(), [](const auto& l) { return l.second == "allocation"; });
  ASSERT_NE(optimal, labels.end());
  EXPECT_NEAR(jobBytes[optimal->first], a.bytes, 1e-9 * a.bytes);
  int checked = 0;
  for (const auto& row : allocation->rows) {
    const auto params = nlohmann::json::parse(row.paramsJson);
    if (row.layer < 0 || params["job"] != optimal->first) continue;
    const auto t = static_cast<std::size_t>(std::find_if(table.targets.begin(), table.targets.end(), [&](const AllocationTarget& x) {
                                                return x.layer == row.layer && x.head == row.head && x.kind == row.kind;
                                              }) - table.targets.begin());
    ASSERT_LT(t, table.targets.size());
    const auto o = static_cast<std::size_t>(a.choice[t]);
    EXPECT_EQ(params["method"], table.options[o].method);
    EXPECT_DOUBLE_EQ(row[FitMetric::Bytes], table.bytesAt(t, o));
    EXPECT_NEAR(row[FitMetric::AttnOutErr], table.damageAt(t, o), 1e-4 * (1 + table.damageAt(t, o)));
    ++checked;
  }
  EXPECT_EQ(checked, 16);
  // The summary names an allocation by its label.
  const auto summary = summarizeResults(runs, SummaryGrouping::Job);
  EXPECT_TRUE(std::any_of(summary.rows.begin(), summary.rows.end(),
                          [](const SummaryRow& r) { return r.paramsJson.find("\"label\":\"allocation\"") != std::string::npos; }));
  // An allocation table leaves the allocation runs out, saying so.
  const auto again = buildAllocationTable(loadRunResults(after, after.runs()), FitMetric::AttnOutErr);
  EXPECT_EQ(again.options.size(), 3u);  // the uniform baseline's job is the same option again
  EXPECT_TRUE(std::any_of(again.notes.begin(), again.notes.end(),
                          [](const std::string& n) { return n.find("allocation") != std::string::npos; }));
}
