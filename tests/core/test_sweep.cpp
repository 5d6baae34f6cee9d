// Sweeps on the real demo project: spec validation, rows and aggregate per job, cancellation,
// a SIGKILLed sweep that resumes to the same results as an uninterrupted run, and the per-job
// summary checked against the rows it summarises.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/compress/sweep.h"
#include "core/errors.h"
#include "core/results_summary.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

const char* kSpec = R"({
  "name": "t", "captures": ["tinystories"],
  "targets": {"layers": [0, 3], "heads": "all", "kinds": ["K", "V"]},
  "seq_lengths": [192, 256],
  "methods": [
    {"method": "svd", "grid": {"rank": [1, 3]}},
    {"method": "quant", "params": {"axis": "kivi"}, "grid": {"bits": [4]}},
    {"method": "siren", "params": {"config": "tiny", "epochs": 15, "lr": 0.001}}
  ],
  "metrics": {"attention": true, "delta_ppl": "job", "ppl_tokens": 32}, "device": "cpu", "seed": 7
})";

// Jobs committed to `project` so far: each job commits one aggregate row (layer -1).
int committedJobs(const std::filesystem::path& project) {
  const auto p = Project::open(project);
  int jobs = 0;
  for (const auto& run : p.runs())
    for (const auto& r : p.results(run.id)) jobs += r.layer < 0;
  return jobs;
}

class SweepOnDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto demo = kvwb::test::sourceDir() / "datasets/demo.kvw";
    if (!std::filesystem::exists(demo)) GTEST_SKIP() << "datasets/demo.kvw missing";
    std::filesystem::copy_file(demo, m_dir / "p.kvw");
    // The captures name their model relative to the project: it travels with the copy.
    std::filesystem::copy(kvwb::test::sourceDir() / "datasets/stories260K-hf", m_dir / "stories260K-hf");
    m_spec = parseSweepSpec(nlohmann::json::parse(kSpec), "test-spec");
  }
  // (job, layer, head, kind) -> row, for every run of the spec.
  std::map<std::string, ResultRow> rowsByKey(const std::filesystem::path& project) {
    std::map<std::string, ResultRow> out;
    const auto p = Project::open(project);
    for (const auto& run : p.runs())
      for (const auto& r : p.results(run.id)) {
        const auto params = nlohmann::json::parse(r.paramsJson);
        const auto key = params["job"].get<std::string>() + "/" + std::to_string(r.layer) + "/" +
                         std::to_string(r.head) + "/" + r.kind;
        EXPECT_TRUE(out.emplace(key, r).second) << "duplicate row " << key;
      }
    return out;
  }
  kvwb::test::TempDir m_dir;
  SweepSpec m_spec;
};

}  // namespace

TEST(SweepSpecTest, RejectsBadSpecsNamingTheFile) {
  auto bad = [](const char* text) {
    try {
      parseSweepSpec(nlohmann::json::parse(text), "spec.json");
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("spec.json"), std::string::npos);
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(bad(R"({"methods": []})").find("at least one method"), std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "zip"}]})").find("unknown method 'zip'"), std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd", "grid": {"rank": 3}}]})").find("non-empty list"), std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd"}], "targets": {"kinds": ["Q"]}})").find("'Q'"), std::string::npos);
}

TEST_F(SweepOnDemo, RowsPerTargetPlusAggregateAndHonestRatios) {
  JobContext ctx;
  const auto s = runSweep(m_dir / "p.kvw", m_spec, ctx);
  EXPECT_EQ(s.jobs, 8);  // (2 svd + 1 quant + 1 siren) x 2 lengths
  EXPECT_EQ(s.done, 8);
  const auto rows = rowsByKey(m_dir / "p.kvw");
  EXPECT_EQ(rows.size(), 8u * (2 * 4 * 2 + 1));  // 2 layers x 4 heads x 2 kinds + aggregate
  for (const auto& [key, r] : rows) {
    const auto params = nlohmann::json::parse(r.paramsJson);
    const int n = params["seq_len"];
    EXPECT_NEAR(r.ratio * r.bytes, (r.kind == "all" ? 16.0 : 1.0) * n * 8 * 2, 1e-6 * r.bytes) << key;
    EXPECT_TRUE(std::isfinite(r.attnOutErr)) << key;
    EXPECT_GE(r.attnKl, 0) << key;
    if (r.kind == "all") EXPECT_TRUE(std::isfinite(r.deltaPpl)) << key;
    if (r.kind == "V") EXPECT_NEAR(r.attnKl, 0, 1e-9) << "values do not change attention weights";
  }
  // Running the same spec again resumes: nothing left to do.
  const auto again = runSweep(m_dir / "p.kvw", m_spec, ctx);
  EXPECT_EQ(again.skipped, 8);
  EXPECT_EQ(again.done, 0);
}

TEST_F(SweepOnDemo, SigkilledSweepResumesToTheSameResults) {
  std::filesystem::copy_file(m_dir / "p.kvw", m_dir / "q.kvw");
  JobContext quiet;
  runSweep(m_dir / "p.kvw", m_spec, quiet);
  const auto reference = rowsByKey(m_dir / "p.kvw");

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Once three jobs are committed the sweep process is SIGKILLed at its next cancellation
    // check (the start of job 4): no unwinding, no flushing, as a killed process.
    struct DieAfterThree : JobContext {
      std::filesystem::path project;
      bool cancelled() const override {
        if (committedJobs(project) >= 3) ::raise(SIGKILL);
        return false;
      }
    } ctx;
    ctx.project = m_dir / "q.kvw";
    runSweep(m_dir / "q.kvw", m_spec, ctx);
    _exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(rowsByKey(m_dir / "q.kvw").size(), 3u * 17);

  const auto resumed = runSweep(m_dir / "q.kvw", m_spec, quiet);
  EXPECT_GE(resumed.skipped, 3);
  const auto rows = rowsByKey(m_dir / "q.kvw");
  ASSERT_EQ(rows.size(), reference.size());
  for (const auto& [key, want] : reference) {
    const auto& got = rows.at(key);
    EXPECT_EQ(got.bytes, want.bytes) << key;
    EXPECT_NEAR(got.cosSim, want.cosSim, 1e-6) << key;
    EXPECT_NEAR(got.relErr, want.relErr, 1e-6) << key;
    EXPECT_NEAR(got.attnOutErr, want.attnOutErr, 1e-6) << key;
    if (want.kind == "all") EXPECT_NEAR(got.deltaPpl, want.deltaPpl, 1e-6) << key;
  }
}

TEST_F(SweepOnDemo, CancelKeepsFinishedJobs) {
  // Cancels once two jobs are committed, read from the project itself (progress messages are
  // throttled: counting them would depend on how fast the jobs run).
  struct CancelAfterTwo : JobContext {
    std::filesystem::path project;
    bool cancelled() const override { return committedJobs(project) >= 2; }
  } ctx;
  ctx.project = m_dir / "p.kvw";
  EXPECT_THROW(runSweep(m_dir / "p.kvw", m_spec, ctx), Cancelled);
  const auto p = Project::open(m_dir / "p.kvw");
  std::size_t rows = 0;
  for (const auto& run : p.runs()) {
    rows += p.results(run.id).size();
    EXPECT_EQ(run.status, "cancelled");
  }
  EXPECT_EQ(rows, 2u * 17);
}

TEST_F(SweepOnDemo, SummaryMeansEachJobsTargetsPerKind) {
  JobContext ctx;
  runSweep(m_dir / "p.kvw", m_spec, ctx);
  const auto p = Project::open(m_dir / "p.kvw");
  const auto summary = summarizeResults(p, p.runs(), SummaryGrouping::Job);
  ASSERT_EQ(summary.rows.size(), 8u);
  for (const auto& s : summary.rows) {
    // The direct computation: every row of this run and job, by kind.
    std::map<std::string, std::pair<double, int>> cos;
    double aggregateRatio = NAN, aggregatePpl = NAN;
    for (const auto& r : p.results(s.run)) {
      if (nlohmann::json::parse(r.paramsJson)["job"] != s.job) continue;
      if (r.layer < 0) {
        aggregateRatio = r.ratio;
        aggregatePpl = r.deltaPpl;
        continue;
      }
      cos[r.kind].first += r.cosSim;
      ++cos[r.kind].second;
    }
    ASSERT_EQ(s.kinds.size(), 2u) << s.run;
    for (const auto& [kind, sumCount] : cos) {
      EXPECT_EQ(s.kinds.at(kind).targets, 8) << s.run << " " << kind;  // 2 layers x 4 heads
      EXPECT_NEAR(s.kinds.at(kind).cosSim, sumCount.first / sumCount.second, 1e-12) << s.run << " " << kind;
    }
    EXPECT_EQ(s.ratio, aggregateRatio) << s.run;
    EXPECT_EQ(s.deltaPplAll, aggregatePpl) << s.run;
    EXPECT_TRUE(s.seqLen == 192 || s.seqLen == 256) << s.run;
    if (s.method == "svd") EXPECT_TRUE(s.params == "rank=1" || s.params == "rank=3") << s.params;
  }
  EXPECT_NE(summary.commonParams.at("quant").find("bits=4"), std::string::npos);
  EXPECT_NE(summary.commonParams.at("siren").find("config=tiny"), std::string::npos);

  const auto perLayer = summarizeResults(p, p.runs(), SummaryGrouping::JobAndLayer);
  ASSERT_EQ(perLayer.rows.size(), 8u * 3);  // layers 0 and 3, and the job's all-targets row
  for (const auto& s : perLayer.rows) EXPECT_EQ(s.kinds.empty() ? 0 : s.kinds.at("K").targets, s.layer < 0 ? 0 : 4);

  std::ostringstream md;
  writeSummaryMarkdown(summary, md);
  EXPECT_NE(md.str().find("| K attn KL |"), std::string::npos);
  EXPECT_EQ(md.str().find("V attn KL"), std::string::npos) << "0 by definition: left out";
}
