// What an eviction job keeps (core/sweep/job_keep_map.h) on a copy of the demo project swept once:
// the keep map's kept sets equal a direct fit with the sweep's parameters and seed (and, for
// SnapKV, the independent reference of docs/EVICTION.md on targets read straight from the
// project), every target keeps its budget, StreamingLLM's sinks and recent window show in the
// summary, the attention received matches plain loops, the tokens read as the text, and a job of
// another family is refused naming the project.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "compress/eviction_reference.h"
#include "core/base/errors.h"
#include "core/compress/compressor.h"
#include "core/model/tokenizer.h"
#include "core/sweep/job_keep_map.h"
#include "core/sweep/sweep.h"
#include "core/sweep/target_batch.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

namespace fs = std::filesystem;

constexpr int kTokens = 128;
constexpr int kBudget = 32;  // keep_ratio 0.25 of 128

const char* kSpec = R"({
  "name": "keep", "captures": ["tinystories"], "targets": {"layers": [0, 3], "kinds": ["K", "V"]},
  "seq_lengths": [128],
  "methods": [
    {"method": "snapkv", "grid": {"keep_ratio": [0.25]}},
    {"method": "streaming", "grid": {"keep_ratio": [0.25]}},
    {"method": "random", "grid": {"keep_ratio": [0.25]}},
    {"method": "svd", "grid": {"rank": [1]}}
  ],
  "metrics": {"attention": false, "delta_ppl": "none", "quality": "none"}, "device": "cpu", "seed": 11
})";

class KeepMapOnDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(test::sourceDir() / "datasets/demo.kvw")) return;
    s_dir = new test::TempDir;
    test::copyDemoProject(s_dir->path());
    s_spec = new SweepSpec(parseSweepSpec(nlohmann::json::parse(kSpec), "keep.json"));
    JobContext ctx;
    runSweep(*s_dir / "p.kvw", *s_spec, ctx);
  }
  static void TearDownTestSuite() {
    delete s_spec;
    delete s_dir;
    s_spec = nullptr;
    s_dir = nullptr;
  }
  void SetUp() override {
    if (!s_dir) GTEST_SKIP() << "datasets/demo.kvw missing";
    m_project = std::make_unique<Project>(Project::open(*s_dir / "p.kvw"));
  }
  SweepJob job(const std::string& method) const {
    for (const auto& j : planSweep(*m_project, *s_spec))
      if (j.method == method) return j;
    ADD_FAILURE() << "no " << method << " job";
    return {};
  }
  JobKeepMap keepMap(const SweepJob& j) const {
    JobContext ctx;
    return jobKeepMap(*m_project, j.key.substr(0, 8), "cpu", ctx);
  }

  static test::TempDir* s_dir;
  static SweepSpec* s_spec;
  std::unique_ptr<Project> m_project;
};

test::TempDir* KeepMapOnDemo::s_dir = nullptr;
SweepSpec* KeepMapOnDemo::s_spec = nullptr;

// The targets the spec names, in its order: kinds, then layers x heads.
void expectTargetOrder(const JobKeepMap& map) {
  ASSERT_EQ(map.targets.size(), 2u * 2u * 4u);
  std::size_t i = 0;
  for (const char* kind : {"K", "V"})
    for (const int layer : {0, 3})
      for (int head = 0; head < 4; ++head, ++i) {
        EXPECT_EQ(map.targets[i].kind, kind);
        EXPECT_EQ(map.targets[i].layer, layer);
        EXPECT_EQ(map.targets[i].head, head);
      }
}

}  // namespace

TEST_F(KeepMapOnDemo, KeptSetsAreTheSweepsFitsWithItsSeed) {
  for (const char* method : {"snapkv", "streaming", "random"}) {
    SCOPED_TRACE(method);
    const SweepJob j = job(method);
    const JobKeepMap map = keepMap(j);
    EXPECT_EQ(map.job, j.key);
    EXPECT_EQ(map.method, method);
    EXPECT_EQ(map.capture, "tinystories");
    EXPECT_EQ(map.tokens, kTokens);
    expectTargetOrder(map);
    TargetReader reader(*m_project, "tinystories");
    std::vector<TargetRef> refs;
    for (const int l : {0, 3})
      for (int h = 0; h < 4; ++h) refs.push_back({l, h});
    for (std::size_t k = 0; k < 2; ++k) {
      const auto batch = buildKindBatch(reader, refs, k == 0 ? "K" : "V", kTokens);
      JobContext ctx;
      const auto direct =
          makeCompressor(method)->fit(batch.targets, j.params, batch.fitInputs(sweepJobSeed(*s_spec, j)), "cpu", ctx);
      for (std::size_t i = 0; i < refs.size(); ++i) {
        const KeepMapTarget& t = map.targets[k * refs.size() + i];
        EXPECT_EQ(t.kept, direct.targets[i].kept) << t.kind << " layer " << t.layer << " head " << t.head;
        EXPECT_EQ(summarizeKeep(t).kept, kBudget);
      }
    }
  }
  // Another seed keeps other random tokens: the map used the sweep's.
  const SweepJob j = job("random");
  TargetReader reader(*m_project, "tinystories");
  const auto batch = buildKindBatch(reader, {{0, 0}}, "K", kTokens);
  JobContext ctx;
  const auto other = makeCompressor("random")->fit(batch.targets, j.params, batch.fitInputs(sweepJobSeed(*s_spec, j) + 1), "cpu", ctx);
  EXPECT_NE(keepMap(j).targets[0].kept, other.targets[0].kept);
}

TEST_F(KeepMapOnDemo, SnapKvKeepsWhatTheReferenceKeeps) {
  const JobKeepMap map = keepMap(job("snapkv"));
  for (const KeepMapTarget& t : map.targets) {
    // The target's inputs read straight from the project: keys, values and its 2 query heads.
    test::eviction::Head head{kTokens, 8, 2, {}, {}, {}};
    const auto rows = [&](TensorKind kind, int h, std::vector<double>& out) {
      const FloatMatrix m = m_project->readTarget("tinystories", kind, t.layer, h);
      out.insert(out.end(), m.data.begin(), m.data.begin() + kTokens * m.cols);
    };
    rows(TensorKind::Keys, t.head, head.keys);
    rows(TensorKind::Values, t.head, head.values);
    for (int g = 0; g < 2; ++g) rows(TensorKind::Queries, t.head * 2 + g, head.queries);
    const auto expected = test::eviction::keptSet("snapkv", {{"keep_ratio", 0.25}}, head, kBudget, {});
    EXPECT_EQ(std::vector<char>(t.kept.begin(), t.kept.end()), expected) << t.kind << " " << t.layer << "/" << t.head;
  }
}

TEST_F(KeepMapOnDemo, StreamingShowsSinksAndRecentWindow) {
  const JobKeepMap map = keepMap(job("streaming"));
  for (const KeepMapTarget& t : map.targets) {
    const KeepSummary s = summarizeKeep(t);
    EXPECT_EQ(s.tokens, kTokens);
    EXPECT_EQ(s.kept, kBudget);
    EXPECT_EQ(s.sinkRun, 4);  // the default sinks
    EXPECT_EQ(s.recentRun, kBudget - 4);
    EXPECT_DOUBLE_EQ(s.sinkShare() + s.recentShare(), 1.0);
    EXPECT_GT(s.attentionKept, 0.0);
    EXPECT_LT(s.attentionKept, 1.0);
  }
}

TEST_F(KeepMapOnDemo, AttentionReceivedMatchesPlainLoops) {
  const JobKeepMap map = keepMap(job("snapkv"));
  const std::size_t heads = 8;  // targets per kind
  for (std::size_t i = 0; i < heads; ++i) {
    const KeepMapTarget& k = map.targets[i];
    const KeepMapTarget& v = map.targets[heads + i];
    ASSERT_EQ(k.attention.size(), std::size_t{kTokens});
    EXPECT_EQ(k.attention, v.attention);  // one head, one attention
    // Causal softmax(q.k / sqrt(D)) of the head's 2 query heads, mean over heads and rows.
    const FloatMatrix keys = m_project->readTarget("tinystories", TensorKind::Keys, k.layer, k.head);
    std::vector<double> received(kTokens, 0.0);
    for (int g = 0; g < 2; ++g) {
      const FloatMatrix q = m_project->readTarget("tinystories", TensorKind::Queries, k.layer, k.head * 2 + g);
      for (int r = 0; r < kTokens; ++r) {
        std::vector<double> s(static_cast<std::size_t>(r + 1));
        double top = -INFINITY, sum = 0;
        for (int j = 0; j <= r; ++j) {
          double dot = 0;
          for (int d = 0; d < 8; ++d) dot += static_cast<double>(q.at(r, d)) * keys.at(j, d);
          s[j] = dot / std::sqrt(8.0);
          top = std::max(top, s[j]);
        }
        for (double& x : s) sum += (x = std::exp(x - top));
        for (int j = 0; j <= r; ++j) received[j] += s[j] / sum / (2.0 * kTokens);
      }
    }
    double total = 0;
    for (int j = 0; j < kTokens; ++j) {
      EXPECT_NEAR(k.attention[j], received[j], 1e-5) << "layer " << k.layer << " head " << k.head << " token " << j;
      total += k.attention[j];
    }
    EXPECT_NEAR(total, 1.0, 1e-4);
  }
}

TEST_F(KeepMapOnDemo, TokensReadAsTheCapturesText) {
  const JobKeepMap map = keepMap(job("streaming"));
  ASSERT_TRUE(map.decoded);
  ASSERT_EQ(map.tokenTexts.size(), std::size_t{kTokens});
  const auto ids = m_project->tokenIds("tinystories");
  const Tokenizer tokenizer = Tokenizer::load(*s_dir / "stories260K-hf");
  const std::vector<int> first(ids.begin(), ids.begin() + kTokens);
  EXPECT_EQ(map.tokenTexts[0], tokenizer.piece(first[0]));  // BOS, shown as its piece
  std::string joined;
  for (std::size_t p = 1; p < map.tokenTexts.size(); ++p) joined += map.tokenTexts[p];
  EXPECT_EQ(joined, tokenizer.decode(first));
}

TEST_F(KeepMapOnDemo, RefusesAJobThatEvictsNothing) {
  const SweepJob svd = job("svd");
  const std::string message = test::inputErrorOf([&] { keepMap(svd); });
  EXPECT_TRUE(test::contains(message, (*s_dir / "p.kvw").string())) << message;
  EXPECT_TRUE(test::contains(message, "'svd', a low-rank method that keeps every token")) << message;
  EXPECT_TRUE(test::contains(message, "token-eviction method (")) << message;
  EXPECT_TRUE(test::contains(message, "snapkv")) << message;
  EXPECT_TRUE(test::contains(test::inputErrorOf([&] { JobContext ctx; jobKeepMap(*m_project, "zzzz", "cpu", ctx); }),
                             "no job whose key starts with 'zzzz'"));
}

}  // namespace kvwb::core
