// Token eviction against docs/EVICTION.md on real captures of the demo project: each method's kept
// set equals the independent reference (eviction_reference.cpp), budgets across the cache, keys
// and values keep the same tokens, the honest ledger, masked attention metrics, and that the
// tokens after the prefix (a held-out continuation) cannot change what is kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/compress/compressor.h"
#include "core/compress/eviction_select.h"
#include "core/model/llama_model.h"
#include "core/model/tokenizer.h"
#include "core/sweep/fit_and_measure.h"
#include "core/sweep/target_batch.h"
#include "eviction_reference.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

namespace ref = test::eviction;
namespace fs = std::filesystem;

fs::path demoProject() { return test::sourceDir() / "datasets/demo.kvw"; }

// A batch's target i as the reference's Head.
ref::Head headOf(const KindBatch& b, std::int64_t i) {
  const std::int64_t T = b.targets.t, D = b.targets.d, G = b.queriesPerTarget;
  const auto slice = [&](const TargetBatch& t, std::int64_t first, std::int64_t rows) {
    return std::vector<double>(t.data.begin() + first * D, t.data.begin() + (first + rows) * D);
  };
  return {static_cast<int>(T), static_cast<int>(D), static_cast<int>(G), slice(b.keys, i * T, T), slice(b.values, i * T, T),
          slice(b.queries, i * G * T, G * T)};
}

std::vector<char> asChars(const std::vector<std::uint8_t>& m) { return {m.begin(), m.end()}; }

class EvictionOnDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
    m_project = std::make_unique<Project>(Project::open(demoProject()));
    m_reader = std::make_unique<TargetReader>(*m_project, "fiction");
  }
  // Every head of `layers`, the first `tokens` tokens.
  KindBatch batch(const std::string& kind, std::vector<int> layers, std::int64_t tokens = 192) {
    std::vector<TargetRef> refs;
    for (const int l : layers)
      for (int h = 0; h < m_reader->info().kvHeads; ++h) refs.push_back({l, h});
    return buildKindBatch(*m_reader, refs, kind, tokens);
  }
  BatchFit fit(const std::string& method, const nlohmann::json& params, const KindBatch& b) {
    JobContext ctx;
    return makeCompressor(method)->fit(b.targets, params, b.fitInputs(3), "cpu", ctx);
  }
  static ref::Rope rope() { return {10000.0, false}; }  // the demo model's, as its metadata says

  std::unique_ptr<Project> m_project;
  std::unique_ptr<TargetReader> m_reader;
};

struct Case {
  std::string method;
  nlohmann::json params;
};

TEST_F(EvictionOnDemo, KeptSetsEqualTheReferenceRules) {
  const std::vector<Case> cases = {
      {"streaming", {{"keep_ratio", 0.25}}},
      {"h2o", {{"keep_ratio", 0.25}}},
      {"h2o", {{"budget", 40}, {"window", 0.0}, {"sinks", 2}}},
      {"tova", {{"keep_ratio", 0.125}}},
      {"snapkv", {{"keep_ratio", 0.25}}},
      {"snapkv", {{"budget", 50}, {"observe", 16}, {"kernel", 7}, {"pooling", "max"}}},
      {"knorm", {{"keep_ratio", 0.5}}},
      {"expected_attention", {{"keep_ratio", 0.25}}},
      {"expected_attention", {{"budget", 30}, {"covariance", false}, {"vnorm", false}, {"future", 64}}},
  };
  for (const std::string kind : {"K", "V"}) {
    const auto b = batch(kind, {0, 3});
    for (const auto& c : cases) {
      const auto got = fit(c.method, c.params, b);
      for (std::int64_t i = 0; i < b.targets.n; ++i) {
        const auto head = headOf(b, i);
        const int n = ref::uniformBudget(c.params, head.T);
        const auto want = ref::keptSet(c.method, c.params, head, n, rope());
        EXPECT_EQ(asChars(got.targets[i].kept), want)
            << c.method << " " << c.params.dump() << " " << kind << " target " << i;
        EXPECT_EQ(std::count(want.begin(), want.end(), 1), n) << c.method;
      }
    }
  }
}

TEST_F(EvictionOnDemo, KeysAndValuesOfAHeadKeepTheSameTokens) {
  for (const std::string method : {"h2o", "snapkv", "knorm", "expected_attention", "tova", "random"}) {
    const nlohmann::json params{{"keep_ratio", 0.25}};
    const auto k = fit(method, params, batch("K", {1, 4})), v = fit(method, params, batch("V", {1, 4}));
    for (std::size_t i = 0; i < k.targets.size(); ++i) EXPECT_EQ(k.targets[i].kept, v.targets[i].kept) << method;
  }
}

TEST_F(EvictionOnDemo, PyramidAndAdaKvBudgetsFollowTheReference) {
  const auto layers = std::vector<int>{0, 1, 2, 3, 4};
  const auto b = batch("K", layers);
  const nlohmann::json pyramid{{"keep_ratio", 0.25}, {"allocation", "pyramid"}, {"beta", 5}};
  const auto got = fit("h2o", pyramid, b);
  const int n = ref::uniformBudget(pyramid, static_cast<int>(b.targets.t));
  const auto budgets = ref::pyramidBudgets(n, 5, 5.0, static_cast<int>(b.targets.t));
  EXPECT_EQ(pyramidBudgets(n, 5, 5.0, b.targets.t), std::vector<std::int64_t>(budgets.begin(), budgets.end()));
  for (std::size_t i = 0; i < got.targets.size(); ++i) {
    const auto& kept = got.targets[i].kept;
    EXPECT_EQ(std::count(kept.begin(), kept.end(), 1), budgets[b.refs[i].layer]) << "target " << i;
  }
  EXPECT_GT(budgets.front(), budgets.back());

  for (const std::string method : {"h2o", "snapkv", "expected_attention"}) {
    const nlohmann::json ada{{"keep_ratio", 0.125}, {"allocation", "adakv"}};
    const auto adaFit = fit(method, ada, b);
    const int heads = static_cast<int>(m_reader->info().kvHeads);
    for (std::size_t first = 0; first < adaFit.targets.size(); first += heads) {
      std::vector<ref::Head> layerHeads;
      for (int h = 0; h < heads; ++h) layerHeads.push_back(headOf(b, static_cast<std::int64_t>(first) + h));
      const auto want = ref::adakvKeptSets(method, ada, layerHeads, ref::uniformBudget(ada, layerHeads[0].T), rope(), 0.2);
      std::int64_t total = 0, smallest = b.targets.t, largest = 0;
      for (int h = 0; h < heads; ++h) {
        const auto& kept = adaFit.targets[first + h].kept;
        EXPECT_EQ(asChars(kept), want[h]) << method << " layer " << b.refs[first].layer << " head " << h;
        const auto c = std::count(kept.begin(), kept.end(), 1);
        total += c, smallest = std::min<std::int64_t>(smallest, c), largest = std::max<std::int64_t>(largest, c);
      }
      EXPECT_EQ(total, heads * ref::uniformBudget(ada, layerHeads[0].T)) << method;
    }
  }
}

TEST_F(EvictionOnDemo, RandomKeepsItsBudgetAndSinksReproducibly) {
  const nlohmann::json params{{"budget", 33}, {"sinks", 3}};
  const auto b = batch("V", {2});
  const auto a = fit("random", params, b), again = fit("random", params, b);
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    const auto& kept = a.targets[i].kept;
    EXPECT_EQ(std::count(kept.begin(), kept.end(), 1), 33);
    EXPECT_TRUE(kept[0] && kept[1] && kept[2]);
    EXPECT_EQ(kept, again.targets[i].kept);
  }
}

TEST_F(EvictionOnDemo, LedgerCountsKeptRowsAndTheirPositions) {
  const auto b = batch("K", {1});
  const auto T = b.targets.t, D = b.targets.d;
  const auto plain = fit("knorm", {{"budget", 48}}, b);
  for (const auto& t : plain.targets) {
    EXPECT_DOUBLE_EQ(t.bytes.items.at("kept_rows"), 48.0 * D * 2);
    EXPECT_DOUBLE_EQ(t.bytes.items.at("kept_indices"), keptIndexBytes(48, T));
    EXPECT_DOUBLE_EQ(t.bytes.total(), estimateBytes(methodDescriptor("knorm"), {{"budget", 48}}, {T, D}));
    for (std::int64_t j = 0; j < T; ++j)  // evicted rows are zero, kept rows float16 of the original
      for (std::int64_t d = 0; d < D; ++d) {
        const float x = b.targets.data[j * D + d], y = t.reconstruction[j * D + d];
        if (t.kept[j]) EXPECT_NEAR(y, x, std::abs(x) * 1e-3 + 1e-6); else EXPECT_EQ(y, 0.0f);
      }
    break;
  }
  // A ratio request is solved for the budget; `then` compresses the kept rows and is counted.
  const auto byRatio = fit("h2o", {{"ratio", 4}}, b);
  EXPECT_LE(byRatio.targets[0].bytes.total(), 2.0 * T * D / 4);
  const nlohmann::json quant{{"method", "quant"}, {"bits", 4}, {"axis", "kivi"}};
  const auto both = fit("h2o", {{"budget", 96}, {"then", quant}}, b);
  EXPECT_FALSE(both.targets[0].bytes.items.count("kept_rows"));
  EXPECT_LT(both.targets[0].bytes.total(), 96.0 * D * 2);
  EXPECT_EQ(both.targets[0].kept, fit("h2o", {{"budget", 96}}, b).targets[0].kept);
  // (KIVI's layout depends on the kind, so its estimate is a mean of both: check a token-axis one.)
  const nlohmann::json perToken{{"method", "quant"}, {"bits", 4}, {"axis", "token"}};
  EXPECT_NEAR(fit("h2o", {{"budget", 96}, {"then", perToken}}, b).targets[0].bytes.total(),
              estimateBytes(methodDescriptor("h2o"), {{"budget", 96}, {"then", perToken}}, {T, D}), 1e-9);
  EXPECT_THROW(fit("h2o", {{"budget", 8}, {"then", {{"method", "knorm"}}}}, b), ParamError);
}

TEST_F(EvictionOnDemo, MaskedAttentionMetricsEqualTheReference) {
  for (const std::string kind : {"K", "V"}) {
    const auto b = batch(kind, {2});
    const auto got = fit("snapkv", {{"keep_ratio", 0.25}}, b);
    MeasuredFit measured;
    JobContext ctx;
    measured = fitAndMeasure(*makeCompressor("snapkv"), b, {{"keep_ratio", 0.25}}, 3, true, "cpu", ctx);
    for (std::int64_t i = 0; i < b.targets.n; ++i) {
      const auto& t = measured.fit.targets[i];
      const auto want = ref::maskedAttentionMetrics(
          headOf(b, i), {t.reconstruction.begin(), t.reconstruction.end()}, kind == "K", asChars(t.kept));
      EXPECT_NEAR(measured.metrics[i][FitMetric::AttnOutErr], want.outErr, 1e-6 * want.outErr + 1e-9) << kind;
      EXPECT_NEAR(measured.metrics[i][FitMetric::AttnKl], want.kl, 1e-6 * want.kl + 1e-9) << kind;
      EXPECT_GT(want.kl, 0);
      // An evicted token counts as cosine 0: the mean is at most the kept share.
      EXPECT_LE(measured.metrics[i][FitMetric::CosSim], 0.25 + 1e-3);
    }
    EXPECT_EQ(got.targets[0].kept, measured.fit.targets[0].kept);
  }
}

// The kept set is chosen from the prefix alone: two captures that share their first 96 tokens
// and then continue differently keep the same tokens of that prefix.
TEST(EvictionProtocol, TheContinuationCannotChangeWhatIsKept) {
  const auto modelDir = test::modelDir("stories260K-hf");
  if (!fs::exists(modelDir)) GTEST_SKIP() << modelDir << " missing";
  const LlamaModel model(modelDir, {"cpu", "float32"});
  const auto tok = Tokenizer::load(modelDir);
  const auto prefix = tok.encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends and her dog.", true);
  ASSERT_GT(prefix.size(), 24u);
  auto a = prefix, b = prefix;
  for (const int id : tok.encode(" The sun was warm and the birds sang all day long.", false)) a.push_back(id);
  for (const int id : tok.encode(" Suddenly a storm came, and everyone ran home quickly!", false)) b.push_back(id);
  const auto length = std::min(a.size(), b.size());
  a.resize(length), b.resize(length);
  ASSERT_NE(a, b);
  const auto info = [&](const KvCapture& kv) {
    CaptureInfo i;
    i.name = "window";
    i.layers = kv.numLayers, i.kvHeads = kv.numKvHeads, i.queryHeads = kv.numHeads;
    i.tokens = kv.numTokens, i.headDim = kv.headDim, i.hasQueries = true;
    i.metadataJson = R"({"rope_theta": 10000.0, "rope_layout": "half"})";
    return i;
  };
  const auto capA = model.capture(a, {.queries = true}), capB = model.capture(b, {.queries = true});
  TargetReader readerA(info(capA), capA, "a"), readerB(info(capB), capB, "b");
  std::vector<TargetRef> refs;
  for (int l = 0; l < capA.numLayers; ++l)
    for (int h = 0; h < capA.numKvHeads; ++h) refs.push_back({l, h});
  const auto n = static_cast<std::int64_t>(prefix.size());
  const auto batchA = buildKindBatch(readerA, refs, "K", n), batchB = buildKindBatch(readerB, refs, "K", n);
  for (const std::string method : {"h2o", "tova", "snapkv", "knorm", "expected_attention"}) {
    JobContext ctx;
    const nlohmann::json params{{"keep_ratio", 0.25}, {"allocation", method == "tova" ? "pyramid" : "adakv"}};
    const auto ka = makeCompressor(method)->fit(batchA.targets, params, batchA.fitInputs(1), "cpu", ctx);
    const auto kb = makeCompressor(method)->fit(batchB.targets, params, batchB.fitInputs(1), "cpu", ctx);
    for (std::size_t i = 0; i < ka.targets.size(); ++i) EXPECT_EQ(ka.targets[i].kept, kb.targets[i].kept) << method;
  }
  // ... while the kept set over the whole sequences does depend on the continuation.
  const auto wholeA = buildKindBatch(readerA, refs, "K", static_cast<std::int64_t>(length));
  const auto wholeB = buildKindBatch(readerB, refs, "K", static_cast<std::int64_t>(length));
  JobContext ctx;
  const auto fa = makeCompressor("h2o")->fit(wholeA.targets, {{"keep_ratio", 0.25}}, wholeA.fitInputs(1), "cpu", ctx);
  const auto fb = makeCompressor("h2o")->fit(wholeB.targets, {{"keep_ratio", 0.25}}, wholeB.fitInputs(1), "cpu", ctx);
  bool anyDiffers = false;
  for (std::size_t i = 0; i < fa.targets.size(); ++i) anyDiffers |= fa.targets[i].kept != fb.targets[i].kept;
  EXPECT_TRUE(anyDiffers);
}

}  // namespace
}  // namespace kvwb::core
