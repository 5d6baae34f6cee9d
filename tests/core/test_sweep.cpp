// Sweeps on the real demo project: spec validation, rows and aggregate per job, cancellation,
// a SIGKILLed sweep that resumes to the same results as an uninterrupted run, and the per-job
// summary checked against the rows it summarises.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <future>
#include <thread>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/sweep/sweep.h"
#include "core/sweep/window_quality.h"
#include "core/base/errors.h"
#include "core/base/stable_hash.h"
#include "core/analysis/capture_analysis.h"
#include "core/reports/results_summary.h"
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
  "metrics": {"attention": true, "delta_ppl": "job", "ppl_tokens": 32, "quality": {"windows": 2, "continuation": 16, "greedy": 8}}, "device": "cpu", "seed": 7
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
    if (kvwb::test::copyDemoProject(m_dir.path()).empty()) GTEST_SKIP() << "datasets/demo.kvw missing";
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
  EXPECT_NE(bad(R"({"methods": [{"method": "zip"}]})").find("unknown compression method 'zip'"), std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd", "grid": {"rank": 3}}]})").find("non-empty list"), std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd", "grid": {"rank": [1]}}], "targets": {"kinds": ["Q"]}})").find("'Q'"),
            std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd", "grid": {"rank": [1]}}], "metrics": {"ppl_tokens": -5}})")
                .find("ppl_tokens"),
            std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "svd", "grid": {"rank": [1]}}], "metric": {}})").find("did you mean 'metrics'"),
            std::string::npos);
  EXPECT_NE(bad(R"({"methods": [{"method": "sdv", "grid": {"rank": [1]}}]})").find("did you mean 'svd'"),
            std::string::npos);
}

TEST(SweepSpecTest, ParametersAreCheckedAgainstTheMethodsDescriptorsBeforeAnyFit) {
  auto message = [](const char* text) {
    try {
      parseSweepSpec(nlohmann::json::parse(text), "presets/mine.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  // A typo names the file, the method and the key, and suggests the declared parameter.
  const auto typo = message(R"({"methods": [{"method": "svd", "grid": {"rank": [1]}},
                                            {"method": "siren", "params": {"config": "tiny", "epoch": 300}}]})");
  EXPECT_EQ(typo.rfind("presets/mine.json: methods[1] siren: parameter 'epoch' is unknown (did you mean 'epochs'?)", 0),
            0u)
      << typo;
  // Every grid point is checked: type, range, choices, exactly one of rank and ratio.
  EXPECT_NE(message(R"({"methods": [{"method": "svd", "grid": {"rank": [2, 0]}}]})").find("'rank' must be in [1, "),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "quant", "grid": {"bits": [8, 3]}}]})").find("'bits' must be one of 8, 4, 2"),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "siren", "params": {"config": "huge"}}]})").find("'config' must be one of"),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "siren", "params": {"epochs": 1.5}}]})").find("must be an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "siren", "params": {"lr": 0.01, "lr_min": 0.1}}]})").find("'lr_min'"),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "svd", "params": {"rank": 1, "ratio": 2}}]})").find("exactly one"),
            std::string::npos);
  EXPECT_NE(message(R"({"methods": [{"method": "hybrid", "params": {"keys": {"method": "svd", "rnak": 2},
                                                                     "values": {"method": "quant"}}}]})")
                .find("'keys.rnak' is unknown (did you mean 'rank'?)"),
            std::string::npos);
  EXPECT_EQ(message(R"({"methods": [{"method": "hybrid", "params": {"keys": {"method": "svd", "rank": 2},
                                                                     "values": {"method": "quant"}}}]})"),
            "accepted");
}

TEST(SweepSpecTest, OverridesAreValidatedToo) {
  auto spec = parseSweepSpec(nlohmann::json::parse(kSpec), "t.json");
  overrideSweepParam(spec, "epochs", 20);
  EXPECT_EQ(spec.methods[2].params["epochs"], 20);
  EXPECT_THROW(overrideSweepParam(spec, "epochs", -1), InputError);
  EXPECT_EQ(spec.methods[2].params["epochs"], 20) << "a rejected override leaves the spec as it was";
  EXPECT_THROW(overrideSweepParam(spec, "epoch", 5), InputError);
}

TEST(SweepPlanTest, JobKeysAreTheStableHashOfWhatDeterminesTheResults) {
  const nlohmann::json params = {{"rank", 2}}, metrics = {{"delta_ppl", "job"}};
  const auto key = sweepJobKey("fiction", "svd", params, 448, metrics);
  EXPECT_EQ(key.size(), 16u);
  EXPECT_EQ(key, stableHashHex("fiction|svd|{\"rank\":2}|448|{\"delta_ppl\":\"job\"}"));
  EXPECT_NE(key, sweepJobKey("fiction", "svd", params, 449, metrics));
#ifdef __GLIBCXX__
  // Projects written before the stable hash keyed jobs with libstdc++'s std::hash: still equal,
  // so they resume.
  char legacy[17];
  std::snprintf(legacy, sizeof legacy, "%016llx",
                static_cast<unsigned long long>(std::hash<std::string>{}("fiction|svd|{\"rank\":2}|448|{\"delta_ppl\":\"job\"}")));
  EXPECT_EQ(key, legacy);
#endif
}

TEST_F(SweepOnDemo, InfeasibleParametersAreRecordedOtherErrorsStopTheSweep) {
  auto spec = parseSweepSpec(nlohmann::json::parse(R"({
    "name": "reach", "captures": ["tinystories"], "targets": {"layers": [0], "heads": [0]},
    "methods": [{"method": "svd", "grid": {"ratio": [2, 100]}}], "metrics": {"delta_ppl": "none", "quality": "none"}, "device": "cpu"})"),
                             "reach.json");
  JobContext ctx;
  const auto s = runSweep(m_dir / "p.kvw", spec, ctx);
  EXPECT_EQ(s.done, 2);
  ASSERT_EQ(s.infeasible.size(), 1u);
  EXPECT_NE(s.infeasible[0].find("'ratio' is out of reach"), std::string::npos) << s.infeasible[0];
  // A target outside the capture is an error, not an infeasible job: nothing is committed.
  spec.layers = {99};
  spec.name = "outside";
  EXPECT_THROW(runSweep(m_dir / "p.kvw", spec, ctx), InputError);
  const auto p = Project::open(m_dir / "p.kvw");
  for (const auto& run : p.runs())
    if (run.id.rfind("outside.", 0) == 0) {
      EXPECT_EQ(run.status, "failed");
      EXPECT_TRUE(p.results(run.id).empty());
    }
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
    EXPECT_NEAR(r[FitMetric::Ratio] * r[FitMetric::Bytes], (r.kind == "all" ? 16.0 : 1.0) * n * 8 * 2, 1e-6 * r[FitMetric::Bytes]) << key;
    EXPECT_TRUE(std::isfinite(r[FitMetric::AttnOutErr])) << key;
    EXPECT_GE(r[FitMetric::AttnKl], 0) << key;
    if (r.kind == "all") {  // model quality over 2 windows of 16 scored tokens (8 greedy)
      EXPECT_TRUE(std::isfinite(r[FitMetric::DeltaPpl])) << key;
      EXPECT_NEAR(r[FitMetric::PplRatio], std::exp(r[FitMetric::LnPplRatio]), 1e-12) << key;
      EXPECT_GT(r[FitMetric::LnPplRatioSe], 0) << key;
      EXPECT_GE(r[FitMetric::Kld], 0) << key;
      EXPECT_LE(r[FitMetric::KldMedian], r[FitMetric::KldP90]) << key;
      EXPECT_LE(r[FitMetric::KldP99], r[FitMetric::KldMax]) << key;
      EXPECT_GE(r[FitMetric::SameTop], 0) << key;
      EXPECT_LE(r[FitMetric::SameTop], 1) << key;
      EXPECT_GE(r[FitMetric::GreedySteps], 0) << key;
      EXPECT_LE(r[FitMetric::GreedySteps], 8) << key;
      EXPECT_LE(r[FitMetric::GreedyAgree], 1) << key;
    } else {
      EXPECT_TRUE(std::isnan(r[FitMetric::Kld])) << "quality is the job's, not a target's: " << key;
    }
    if (r.kind == "V") EXPECT_NEAR(r[FitMetric::AttnKl], 0, 1e-9) << "values do not change attention weights";
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
    EXPECT_EQ(got[FitMetric::Bytes], want[FitMetric::Bytes]) << key;
    EXPECT_NEAR(got[FitMetric::CosSim], want[FitMetric::CosSim], 1e-6) << key;
    EXPECT_NEAR(got[FitMetric::RelErr], want[FitMetric::RelErr], 1e-6) << key;
    EXPECT_NEAR(got[FitMetric::AttnOutErr], want[FitMetric::AttnOutErr], 1e-6) << key;
    if (want.kind != "all") continue;
    for (const auto m : {FitMetric::DeltaPpl, FitMetric::LnPplRatio, FitMetric::Kld, FitMetric::SameTop, FitMetric::GreedyAgree})
      EXPECT_NEAR(got[m], want[m], 1e-6) << key << " " << fitMetric(m).column;
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
        aggregateRatio = r[FitMetric::Ratio];
        aggregatePpl = r[FitMetric::DeltaPpl];
        continue;
      }
      cos[r.kind].first += r[FitMetric::CosSim];
      ++cos[r.kind].second;
    }
    ASSERT_EQ(s.kinds.size(), 2u) << s.run;
    for (const auto& [kind, sumCount] : cos) {
      EXPECT_EQ(s.kinds.at(kind).targets, 8) << s.run << " " << kind;  // 2 layers x 4 heads
      EXPECT_NEAR(s.kinds.at(kind).means[FitMetric::CosSim], sumCount.first / sumCount.second, 1e-12) << s.run << " " << kind;
    }
    EXPECT_EQ(s.jobValues[FitMetric::Ratio], aggregateRatio) << s.run;
    EXPECT_EQ(s.jobValues[FitMetric::DeltaPpl], aggregatePpl) << s.run;
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

TEST(LegacyProject, ProjectsWrittenBeforeTheRedesignOpenAndResume) {
  // tests/data/legacy-0.1: written by the version before method descriptors and the stable hash
  // (3 jobs folded into the HDF5 tables, 1 in the journal; an analysed capture).
  const auto fixture = kvwb::test::sourceDir() / "tests/data/legacy-0.1";
  kvwb::test::TempDir dir;
  for (const char* f : {"legacy.kvw", "legacy.kvw-journal"}) std::filesystem::copy_file(fixture / f, dir / f);
  std::filesystem::copy(kvwb::test::sourceDir() / "datasets/stories260K-hf", dir / "stories260K-hf");
  {
    const auto p = Project::open(dir / "legacy.kvw");
    ASSERT_EQ(p.runs().size(), 2u);
    std::size_t rows = 0;
    for (const auto& run : p.runs())
      for (const auto& r : p.results(run.id)) {
        ++rows;
        EXPECT_TRUE(std::isfinite(r[FitMetric::CosSim])) << run.id;
        EXPECT_TRUE(std::isfinite(r[FitMetric::Bytes])) << run.id;
      }
    EXPECT_EQ(rows, 4u * (5 * 2 * 2 + 1));  // 4 jobs x (5 layers x 2 heads x K, V + aggregate)
    EXPECT_TRUE(loadAnalysis(p, "fiction").has_value()) << "the capture fingerprint is unchanged";
  }
  JobContext ctx;
  const auto s = runSweep(dir / "legacy.kvw", loadSweepSpec(fixture / "legacy-sweep.json"), ctx);
  EXPECT_EQ(s.jobs, 4);
  EXPECT_EQ(s.skipped, 4) << "every job is recognised by its key";
  EXPECT_EQ(s.done, 0);
}

// The time estimate against the real run: the demo preset on two of the five layers (both kinds,
// every head, Δ perplexity per job). Tolerance: within a factor of 2 either way, what a user
// planning a sweep needs and what timing noise on a shared 2-core machine allows.
TEST_F(SweepOnDemo, TimeEstimateFromMeasuredSpeedsMatchesTheRealRun) {
  auto spec = loadSweepSpec(kvwb::test::sourceDir() / "resources/presets/demo.json");
  spec.layers = {1, 3};
  spec.device = "cpu";
  for (auto& m : spec.methods)  // fewer quality windows than the preset's: a shorter test
    if (m.quality) m.quality->windows = std::min(m.quality->windows, 3);
  const auto project = Project::open(m_dir / "p.kvw");
  const auto jobs = planSweep(project, spec);
  JobContext ctx;
  const SweepSpeed speed = measureSweepSpeed(project, spec, ctx);
  EXPECT_TRUE(speed.covers(spec));
  EXPECT_GT(speed.pplSeconds, 0);  // the demo captures have their model
  const double predicted = predictSweepSeconds(project, spec, jobs, speed);
  const SweepSize size = sweepSize(project, spec, jobs);
  EXPECT_EQ(size.jobs, static_cast<int>(jobs.size()));
  EXPECT_EQ(size.targetFits, static_cast<double>(jobs.size()) * 2 * 4 * 2);  // layers x heads x kinds

  const auto start = std::chrono::steady_clock::now();
  runSweep(m_dir / "p.kvw", spec, ctx);
  const double real = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sweep time: predicted %.1f s, real %.1f s\n", predicted, real);
  EXPECT_GT(predicted, real / 2);
  EXPECT_LT(predicted, real * 2);
  // A speed that lacks a method predicts nothing rather than a made-up time.
  SweepSpeed partial = speed;
  partial.secondsPerFlop.erase("svd");
  partial.secondsPerTarget.erase("svd");
  EXPECT_FALSE(partial.covers(spec));
  EXPECT_TRUE(std::isnan(predictSweepSeconds(project, spec, jobs, partial)));
  // A job whose parameters cannot be met (SVD at 8x: rank 1 is 7.8x here) is recorded, not fitted.
  auto withUnreachable = jobs;
  auto svd = *std::find_if(jobs.begin(), jobs.end(), [](const SweepJob& j) { return j.method == "svd"; });
  svd.params = {{"ratio", 8}};
  withUnreachable.push_back(svd);
  EXPECT_DOUBLE_EQ(predictSweepSeconds(project, spec, withUnreachable, speed), predicted);
}

// Two sweeps on one project at once: the second is refused before it records anything, naming
// the project, while the first runs; the first then commits every job once.
TEST_F(SweepOnDemo, ASecondSweepOnTheSameProjectIsRefusedWhileTheFirstRuns) {
  struct Gate : JobContext {
    std::promise<void> started;
    std::shared_future<void> release;
    bool signalled = false;
    void onProgress(double, const std::string&) override {
      if (signalled) return;
      signalled = true;
      started.set_value();
      release.wait();
    }
  } gate;
  std::promise<void> release;
  gate.release = release.get_future().share();
  auto started = gate.started.get_future();
  std::thread first([&] { runSweep(m_dir / "p.kvw", m_spec, gate); });
  started.wait();
  JobContext ctx;
  try {
    runSweep(m_dir / "p.kvw", m_spec, ctx);
    ADD_FAILURE() << "the second sweep ran";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("another sweep is running"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p.kvw"), std::string::npos) << e.what();
  }
  release.set_value();
  first.join();
  const auto jobs = planSweep(Project::open(m_dir / "p.kvw"), m_spec);
  EXPECT_EQ(committedJobs(m_dir / "p.kvw"), static_cast<int>(jobs.size()));  // each job once
  runSweep(m_dir / "p.kvw", m_spec, ctx);  // the lock is gone with the first sweep
  EXPECT_EQ(committedJobs(m_dir / "p.kvw"), static_cast<int>(jobs.size()));
}

// Model quality over text windows: a full-rank SVD (float16 factors) leaves the model's
// predictions all but unchanged, rank 1 hurts them; each window scores its continuation and the
// statistics are those of its per-token measures.
TEST_F(SweepOnDemo, WindowQualitySeparatesLosslessFromLossyOnTheRealModel) {
  auto spec = parseSweepSpec(nlohmann::json::parse(R"({
    "name": "q", "captures": ["tinystories"], "targets": {"layers": "all", "heads": "all", "kinds": ["K", "V"]},
    "seq_lengths": [128], "methods": [{"method": "svd", "grid": {"rank": [8, 1]}}],
    "metrics": {"attention": false, "delta_ppl": "none", "quality": "none"}, "device": "cpu"})"), "test");
  const auto project = Project::open(m_dir / "p.kvw");
  const auto jobs = planSweep(project, spec);
  ASSERT_EQ(jobs.size(), 2u);
  const WindowSpec windows{.windows = 4, .continuation = 32, .stride = 200, .greedy = 16, .batch = 3};
  JobContext ctx;
  const LlamaModel model(requireCaptureModel(project, "tinystories"), LoadOptions{.device = "cpu"});
  const WindowQuality quality(project, "tinystories", model, windows, 128, true, "cpu", ctx);
  EXPECT_FALSE(quality.baselineWasStored());
  const auto svd = makeCompressor("svd");
  const auto full = quality.measure(jobs[0], spec, *svd, ctx);
  const auto one = quality.measure(jobs[1], spec, *svd, ctx);
  EXPECT_EQ(full.stats.windows, 4);
  EXPECT_EQ(full.stats.tokens, 4 * 32);
  EXPECT_EQ(full.starts, (std::vector<int>{0, 200, 400, 600}));
  EXPECT_LT(std::abs(full.stats.lnPplRatio.mean), 1e-3);
  EXPECT_LT(full.stats.kld.mean, 1e-3);
  EXPECT_GT(full.stats.sameTop.mean, 0.98);
  EXPECT_GT(one.stats.kld.mean, 100 * full.stats.kld.mean);
  EXPECT_GT(one.stats.lnPplRatio.mean, full.stats.lnPplRatio.mean);
  const auto again = qualityStats(one.windows, {.seed = windows.bootstrapSeed});
  EXPECT_EQ(again.kld.mean, one.stats.kld.mean);
  EXPECT_EQ(again.kld.se, one.stats.kld.se);
  EXPECT_EQ(windowStarts(700, windows, 128), (std::vector<int>{0, 200, 400}));  // 600+160 > 700
  // Greedy continuation: lossless keeps the exact one, rank 1 departs from it sooner.
  EXPECT_GT(full.greedyAgreement, 0.95);
  EXPECT_LT(one.greedySteps, full.greedySteps);
  // The baseline is kept in the project: a second evaluation reads it and measures the same.
  const auto reopened = Project::open(m_dir / "p.kvw");
  const WindowQuality stored(reopened, "tinystories", model, windows, 128, true, "cpu", ctx);
  EXPECT_TRUE(stored.baselineWasStored());
  EXPECT_EQ(stored.baselineKey(), quality.baselineKey());
  const auto reread = stored.measure(jobs[1], spec, *svd, ctx);
  EXPECT_EQ(reread.stats.kld.mean, one.stats.kld.mean);
  EXPECT_EQ(reread.greedySteps, one.greedySteps);
  // Per target: each target alone on the same windows and fits; the lossless job leaves every
  // one harmless, and no single target of rank 1 hurts as much as all of them together.
  auto perTarget = windows;
  perTarget.perTarget = true;
  const WindowQuality each(reopened, "tinystories", model, perTarget, 128, false, "cpu", ctx);
  const auto lossless = each.measure(jobs[0], spec, *svd, ctx);
  const auto lossy = each.measure(jobs[1], spec, *svd, ctx);
  ASSERT_EQ(lossy.perTarget.size(), 5u * 4 * 2);  // kinds x layers x heads
  EXPECT_EQ(lossy.stats.kld.mean, one.stats.kld.mean);  // the job's own statistics unchanged
  double worst = 0;
  for (std::size_t t = 0; t < lossy.perTarget.size(); ++t) {
    EXPECT_LT(lossless.perTarget[t].kld.mean, 1e-3) << t;
    EXPECT_EQ(lossy.perTarget[t].tokens, 4 * 32) << t;
    worst = std::max(worst, lossy.perTarget[t].kld.mean);
  }
  EXPECT_GT(worst, 10 * lossless.stats.kld.mean);
  EXPECT_LT(worst, lossy.stats.kld.mean);
}
