// core::bestPerFamily on constructed per-job summaries: jobs grouped by family (from the method
// registry), capture, length and K/V targets; the budget's boundary (ratio exactly R is within);
// the default metric chain KLD → attention KL → relative error and an explicit --by of either
// direction; ties to the higher ratio; infeasible and unregistered jobs; the table's columns and
// the markdown's caption and notes.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "core/reports/family_best.h"

using namespace kvwb::core;

namespace {

// A job of `method` with the given ratio and job-level metrics, targets of `kinds`.
SummaryRow job(const std::string& method, const std::string& params, double ratio,
               std::map<FitMetric, double> metrics, std::vector<std::string> kinds = {"K", "V"},
               std::string capture = "fiction", int seqLen = 448) {
  SummaryRow r;
  r.run = "demo." + capture + "." + method;
  r.job = method + params;
  r.capture = std::move(capture);
  r.method = method;
  r.paramsJson = params;
  r.seqLen = seqLen;
  r.jobValues[FitMetric::Ratio] = ratio;
  for (const auto& [m, v] : metrics) r.jobValues[m] = v;
  for (const auto& kind : kinds) {
    KindMeans means;
    means.targets = 4;
    means.means[FitMetric::RelErr] = r.jobValues[FitMetric::RelErr];
    r.kinds[kind] = means;
  }
  return r;
}

ResultsSummary demoSummary() {
  ResultsSummary s;
  s.rows = {job("svd", R"({"rank":1})", 7.0, {{FitMetric::Kld, 0.5}, {FitMetric::RelErr, 0.6}}),
            job("svd", R"({"rank":2})", 3.5, {{FitMetric::Kld, 0.2}, {FitMetric::RelErr, 0.3}}),
            job("pca", R"({"rank":1})", 6.9, {{FitMetric::Kld, 0.4}, {FitMetric::RelErr, 0.5}}),
            job("quant", R"({"bits":4})", 3.8, {{FitMetric::Kld, 0.1}, {FitMetric::RelErr, 0.2}}),
            job("quant", R"({"bits":8})", 1.9, {{FitMetric::Kld, 0.01}, {FitMetric::RelErr, 0.01}}),
            job("siren", R"({"config":"tiny"})", 0.42, {{FitMetric::Kld, 0.05}})};
  return s;
}

std::vector<std::string> chosenJobs(const FamilyBest& best) {
  std::vector<std::string> jobs;
  for (const auto& r : best.rows) jobs.push_back(r.family + ":" + r.row.job);
  return jobs;
}

}  // namespace

TEST(FamilyBest, BestOfEachFamilyWithinTheBudget) {
  const auto best = bestPerFamily(demoSummary(), 3.5);
  EXPECT_EQ(chosenJobs(best), (std::vector<std::string>{R"(low-rank:svd{"rank":2})",
                                                        R"(quantization:quant{"bits":4})"}));
  EXPECT_EQ(best.rows[0].by, FitMetric::Kld);
  EXPECT_EQ(best.rows[0].candidates, 3);  // svd rank 1, 2 and pca rank 1
  EXPECT_EQ(best.rows[0].targets, "K+V");
  ASSERT_EQ(best.notes.size(), 1u);
  EXPECT_EQ(best.notes[0],
            "neural field (siren), fiction, n=448, K+V: no job at ratio ≥ 3.5 (highest 0.42)");
  // At 4x the INT4 job is out and PCA rank 1 beats SVD rank 1.
  const auto at4 = bestPerFamily(demoSummary(), 4);
  EXPECT_EQ(chosenJobs(at4), (std::vector<std::string>{R"(low-rank:pca{"rank":1})"}));
  EXPECT_EQ(at4.notes.size(), 2u);
}

TEST(FamilyBest, RatioExactlyAtTheBudgetIsWithin) {
  ResultsSummary s;
  s.rows = {job("svd", "a", 4.0, {{FitMetric::Kld, 0.1}}),
            job("svd", "b", 4.0 * (1 - 1e-6), {{FitMetric::Kld, 0.01}})};
  EXPECT_EQ(chosenJobs(bestPerFamily(s, 4.0)), (std::vector<std::string>{"low-rank:svda"}));
  EXPECT_EQ(chosenJobs(bestPerFamily(s, 3.99)), (std::vector<std::string>{"low-rank:svdb"}));
}

TEST(FamilyBest, DefaultMetricChainAndExplicitMetric) {
  ResultsSummary s;
  // Low-rank measured attention KL but no KLD; quantization only relative error.
  s.rows = {job("svd", "1", 8, {{FitMetric::AttnKl, 0.3}, {FitMetric::RelErr, 0.1}}),
            job("svd", "2", 4, {{FitMetric::AttnKl, 0.2}, {FitMetric::RelErr, 0.4}}),
            job("quant", "4", 4, {{FitMetric::RelErr, 0.2}}),
            job("quant", "3", 5, {{FitMetric::RelErr, 0.3}})};
  auto best = bestPerFamily(s, 4);
  EXPECT_EQ(chosenJobs(best), (std::vector<std::string>{"low-rank:svd2", "quantization:quant4"}));
  EXPECT_EQ(best.rows[0].by, FitMetric::AttnKl);
  EXPECT_EQ(best.rows[1].by, FitMetric::RelErr);
  // By relative error, lower wins; by ratio, higher wins.
  best = bestPerFamily(s, 4, FitMetric::RelErr);
  EXPECT_EQ(chosenJobs(best), (std::vector<std::string>{"low-rank:svd1", "quantization:quant4"}));
  best = bestPerFamily(s, 4, FitMetric::Ratio);
  EXPECT_EQ(chosenJobs(best), (std::vector<std::string>{"low-rank:svd1", "quantization:quant3"}));
  // A metric no job of a group measured: a note, no row.
  best = bestPerFamily(s, 4, FitMetric::Kld);
  EXPECT_TRUE(best.rows.empty());
  ASSERT_EQ(best.notes.size(), 2u);
  EXPECT_NE(best.notes[0].find("2 job(s) at ratio ≥ 4, none measured kld"), std::string::npos);
  EXPECT_THROW(bestPerFamily(s, 4, FitMetric::KldSe), std::invalid_argument);
  EXPECT_THROW(bestPerFamily(s, 0), std::invalid_argument);
}

TEST(FamilyBest, GroupsByTargetsCaptureAndLength) {
  ResultsSummary s;
  s.rows = {job("svd", "kv", 4, {{FitMetric::Kld, 0.3}}),
            job("svd", "k", 4, {{FitMetric::Kld, 0.1}}, {"K"}),
            job("svd", "code", 4, {{FitMetric::Kld, 0.2}}, {"K", "V"}, "code"),
            job("svd", "long", 4, {{FitMetric::Kld, 0.05}}, {"K", "V"}, "fiction", 2048),
            job("mystery", "x", 9, {{FitMetric::Kld, 0.0}})};
  const auto best = bestPerFamily(s, 2);
  // Captures in the summary's order, then length, then targets, then family; unregistered last.
  EXPECT_EQ(chosenJobs(best),
            (std::vector<std::string>{"low-rank:svdk", "low-rank:svdkv", "unregistered:mysteryx",
                                      "low-rank:svdlong", "low-rank:svdcode"}));
  EXPECT_EQ(best.rows[0].targets, "K");
}

TEST(FamilyBest, TiesGoToTheHigherRatioAndInfeasibleJobsAreSkipped) {
  ResultsSummary s;
  s.rows = {job("svd", "a", 4, {{FitMetric::Kld, 0.1}}),
            job("svd", "b", 6, {{FitMetric::Kld, 0.1}}),
            job("svd", "c", std::nan(""), {{FitMetric::Kld, 0.0}})};
  s.rows.back().note = "infeasible: ratio";
  const auto best = bestPerFamily(s, 2);
  EXPECT_EQ(chosenJobs(best), (std::vector<std::string>{"low-rank:svdb"}));
  EXPECT_EQ(best.rows[0].candidates, 2);
}

TEST(FamilyBest, TableAndMarkdown) {
  const auto best = bestPerFamily(demoSummary(), 3.5);
  const auto table = familyBestTable(best);
  ASSERT_GE(table.headers.size(), 7u);
  EXPECT_EQ(
      std::vector<std::string>(table.headers.begin(), table.headers.begin() + 6),
      (std::vector<std::string>{"family", "targets", "chosen by", "capture", "method", "params"}));
  EXPECT_NE(std::find(table.headers.begin(), table.headers.end(), "KLD"), table.headers.end());
  EXPECT_NE(std::find(table.headers.begin(), table.headers.end(), "ratio"), table.headers.end());
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][0].text, "low-rank");
  EXPECT_EQ(table.rows[0][2].text, "kld (best of 3)");
  EXPECT_EQ(table.rows[0][5].text, "rank=2");  // in full, though it is its method's only row
  std::ostringstream out;
  writeFamilyBestMarkdown(best, out);
  const std::string md = out.str();
  EXPECT_EQ(md.rfind("Best per family at ratio ≥ 3.5 (bytes ≤ raw float16 / 3.5), best by KL "
                     "divergence where measured, else attention KL, else relative error",
                     0),
            0u);
  EXPECT_NE(md.find("| low-rank | K+V | kld (best of 3) | fiction | svd | rank=2 | 448 |"),
            std::string::npos);
  EXPECT_NE(md.find("* neural field (siren)"), std::string::npos);
}
