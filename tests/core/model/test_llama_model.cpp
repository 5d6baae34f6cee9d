// Runner tests on the real stories260K checkpoint in both formats: the model card's greedy text,
// logits agreement HF vs llama2.c, perplexity on real texts, captured Q/K/V against the runner's
// own attention output, Δ perplexity with substituted caches, and the batched entry points
// against the per-sequence ones.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compare.h"
#include "core/base/errors.h"
#include "core/model/llama_model.h"
#include "core/model/tokenizer.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

std::filesystem::path hfDir() { return test::modelDir("stories260K-hf"); }
std::filesystem::path binPath() { return test::modelDir("stories260K") / "stories260K.bin"; }

// One CPU float32 model of each format for the whole suite (loading is cheap, but kept once).
const LlamaModel& hfModel() {
  static const LlamaModel m(hfDir(), {"cpu", "float32"});
  return m;
}
const LlamaModel& binModel() {
  static const LlamaModel m(binPath(), {"cpu", "float32"});
  return m;
}
const Tokenizer& tokenizer() {
  static const Tokenizer t = Tokenizer::load(hfDir());
  return t;
}

std::vector<int> textTokens(const std::string& name, std::size_t n) {
  auto ids = tokenizer().encode(test::readFile(test::textFile(name)), true);
  ids.resize(std::min(ids.size(), n));
  return ids;
}

const char* kModelCard =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";

TEST(LlamaModel, ConfigOfBothFormats) {
  for (const LlamaModel* m : {&hfModel(), &binModel()}) {
    const ModelConfig& c = m->config();
    EXPECT_EQ(c.numLayers, 5);
    EXPECT_EQ(c.hiddenSize, 64);
    EXPECT_EQ(c.numHeads, 8);
    EXPECT_EQ(c.numKvHeads, 4);
    EXPECT_EQ(c.headDim, 8);
    EXPECT_EQ(c.intermediateSize, 172);
    EXPECT_EQ(c.vocabSize, 512);
    EXPECT_TRUE(c.tieWordEmbeddings);
  }
  EXPECT_FALSE(hfModel().config().ropeInterleaved);
  EXPECT_TRUE(binModel().config().ropeInterleaved);
}

TEST(LlamaModel, GreedyFromBosReproducesModelCard) {
  for (const LlamaModel* m : {&hfModel(), &binModel()}) {
    const auto ids = m->generate({1}, 40);
    std::vector<int> all{1};
    all.insert(all.end(), ids.begin(), ids.end());
    const std::string text = tokenizer().decode(all);
    EXPECT_EQ(text.substr(0, std::string(kModelCard).size()), kModelCard) << text;
  }
}

TEST(LlamaModel, HfAndLlama2cGiveSameLogits) {
  const auto ids = textTokens("tinystories.txt", 96);
  const auto a = hfModel().logits(ids), b = binModel().logits(ids);
  ASSERT_EQ(a.size(), ids.size() * 512);
  ASSERT_EQ(a.size(), b.size());
  float maxDiff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) maxDiff = std::max(maxDiff, std::abs(a[i] - b[i]));
  EXPECT_LT(maxDiff, 1e-4f);
}

TEST(LlamaModel, PerplexityOnRealTexts) {
  const double stories = hfModel().meanNll(textTokens("tinystories.txt", 512));
  const double code = hfModel().meanNll(textTokens("code.txt", 512));
  std::cout << "mean NLL, first 512 tokens: tinystories " << stories << ", code " << code << "\n";
  EXPECT_GT(stories, 1.0);
  EXPECT_LT(stories, 1.8);
  EXPECT_GT(code, 4.0);
  EXPECT_NEAR(binModel().meanNll(textTokens("tinystories.txt", 512)), stories, 1e-4);
}

// softmax(Q K^T / sqrt(D)) V with GQA and a causal mask, in double, from the stored tensors.
TEST(LlamaModel, StoredQkvReproduceAttentionOutput) {
  const auto ids = textTokens("fiction.txt", 48);
  const auto cap =
      hfModel().capture(ids, {.keysPreRope = true, .queries = true, .attnOutput = true});
  const int T = cap.numTokens, D = cap.headDim, group = cap.numHeads / cap.numKvHeads;
  ASSERT_EQ(cap.layers.size(), 5u);
  double maxErr = 0;
  for (const auto& layer : cap.layers) {
    ASSERT_EQ(layer.keys.size(), static_cast<std::size_t>(cap.numKvHeads * T * D));
    ASSERT_EQ(layer.keysPreRope.size(), layer.keys.size());
    ASSERT_EQ(layer.queries.size(), static_cast<std::size_t>(cap.numHeads * T * D));
    for (int hq = 0; hq < cap.numHeads; ++hq) {
      const float* q = &layer.queries[hq * T * D];
      const float* k = &layer.keys[(hq / group) * T * D];
      const float* v = &layer.values[(hq / group) * T * D];
      for (int t = 0; t < T; ++t) {
        std::vector<double> w(t + 1);
        double mx = -1e300, sum = 0;
        for (int s = 0; s <= t; ++s) {
          double dot = 0;
          for (int d = 0; d < D; ++d) dot += double(q[t * D + d]) * k[s * D + d];
          w[s] = dot / std::sqrt(double(D));
          mx = std::max(mx, w[s]);
        }
        for (auto& x : w) sum += (x = std::exp(x - mx));
        for (int d = 0; d < D; ++d) {
          double o = 0;
          for (int s = 0; s <= t; ++s) o += w[s] / sum * v[s * D + d];
          maxErr = std::max(maxErr, std::abs(o - layer.attnOutput[(hq * T + t) * D + d]));
        }
      }
    }
  }
  EXPECT_LT(maxErr, 1e-5);
}

TEST(LlamaModel, KeysDifferFromPreRopeKeysExceptAtPositionZero) {
  const auto cap = hfModel().capture({1, 400, 300}, {.keysPreRope = true});
  const auto& l0 = cap.layers[0];
  const int D = cap.headDim;
  for (int d = 0; d < D; ++d) EXPECT_FLOAT_EQ(l0.keys[d], l0.keysPreRope[d]);
  EXPECT_NE(l0.keys[2 * D], l0.keysPreRope[2 * D]);
}

std::vector<CacheSubstitution> allTargets(const KvCapture& cap, int context, double noise,
                                          std::mt19937& rng) {
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::vector<CacheSubstitution> subs;
  const std::size_t n = static_cast<std::size_t>(context) * cap.headDim;
  for (int l = 0; l < cap.numLayers; ++l)
    for (int h = 0; h < cap.numKvHeads; ++h)
      for (const bool keys : {true, false}) {
        const auto& src = keys ? cap.layers[l].keys : cap.layers[l].values;
        std::vector<float> data(src.begin() + h * n, src.begin() + (h + 1) * n);
        for (auto& x : data) x += static_cast<float>(noise) * gauss(rng);
        subs.push_back({l, h, keys, std::move(data)});
      }
  return subs;
}

TEST(LlamaModel, DeltaPerplexityZeroForExactCacheAndGrowsWithNoise) {
  const auto ids = textTokens("tinystories.txt", 160);
  const int context = 128;
  const auto cap = hfModel().capture({ids.begin(), ids.begin() + context});
  std::mt19937 rng(7);
  const auto exact = hfModel().perplexityWithCache(ids, context, allTargets(cap, context, 0, rng));
  EXPECT_EQ(exact.scoredTokens, 32);
  EXPECT_NEAR(exact.deltaPerplexity(), 0.0, 1e-6);
  EXPECT_GT(exact.exactMeanNll, 0.5);
  double previous = 0;
  for (const double noise : {0.3, 1.0, 3.0}) {
    const auto r =
        hfModel().perplexityWithCache(ids, context, allTargets(cap, context, noise, rng));
    std::cout << "noise " << noise << ": mean NLL " << r.meanNll << " (exact " << r.exactMeanNll
              << "), delta ppl " << r.deltaPerplexity() << "\n";
    EXPECT_GT(r.deltaPerplexity(), previous);
    previous = r.deltaPerplexity();
  }
}

TEST(LlamaModel, OneSubstitutedTargetChangesScoresAndBadTargetsThrow) {
  const auto ids = textTokens("tinystories.txt", 80);
  const int context = 64;
  std::vector<float> zeros(static_cast<std::size_t>(context) * 8, 0.f);
  const auto r = hfModel().perplexityWithCache(ids, context, {{2, 1, false, zeros}});
  EXPECT_NE(r.meanNll, r.exactMeanNll);
  EXPECT_THROW(hfModel().perplexityWithCache(ids, context, {{5, 0, true, zeros}}),
               std::invalid_argument);
  EXPECT_THROW(hfModel().perplexityWithCache(ids, context, {{0, 0, true, {1.f}}}),
               std::invalid_argument);
}

// The continuation's logits are what its perplexity scores: their NLL of the next ids is the
// reported mean NLL, with and without a substituted target; without one, they equal the plain
// forward pass's logits at those positions.
TEST(LlamaModel, ContinuationLogitsAreWhatPerplexityScores) {
  const auto ids = textTokens("tinystories.txt", 80);
  const int context = 64;
  const int vocab = hfModel().config().vocabSize;
  std::vector<float> zeros(static_cast<std::size_t>(context) * 8, 0.f);
  for (const auto& subs :
       {std::vector<CacheSubstitution>{}, std::vector<CacheSubstitution>{{2, 1, false, zeros}}}) {
    const auto logits = hfModel().continuationLogits(ids, context, subs);
    ASSERT_EQ(logits.size(), (ids.size() - context) * static_cast<std::size_t>(vocab));
    double nll = 0;
    for (std::size_t t = 0; t + context < ids.size(); ++t) {
      const float* row = logits.data() + t * vocab;
      double top = row[0], sum = 0;
      for (int v = 0; v < vocab; ++v) top = std::max(top, static_cast<double>(row[v]));
      for (int v = 0; v < vocab; ++v) sum += std::exp(row[v] - top);
      nll += top + std::log(sum) - row[ids[context + t]];
    }
    nll /= static_cast<double>(ids.size() - context);
    const auto r = hfModel().perplexityWithCache(ids, context, subs);
    EXPECT_NEAR(nll, r.meanNll, 1e-5);
  }
  const auto exact = hfModel().continuationLogits(ids, context, {});
  const auto full = hfModel().logits(ids);
  for (std::size_t i = 0; i < exact.size(); ++i)
    ASSERT_NEAR(exact[i], full[(context - 1) * vocab + i], 1e-4) << "logit " << i;
}

// The batched tests skip, saying so, where neither ../shared/models nor datasets/ holds the model.
#define SKIP_WITHOUT_MODEL()                             \
  if (!std::filesystem::exists(hfDir() / "config.json")) \
  GTEST_SKIP() << "the real model stories260K-hf is not in ../shared/models nor datasets/"

// Windows of one length from three real texts.
std::vector<std::vector<int>> windows(std::size_t n) {
  return {textTokens("tinystories.txt", n), textTokens("code.txt", n),
          textTokens("fiction.txt", n)};
}

TEST(LlamaModelBatch, CaptureBatchEqualsCapture) {
  SKIP_WITHOUT_MODEL();
  const auto ids = windows(64);
  const CaptureRequest all{
      .keysPreRope = true, .queries = true, .attnOutput = true, .logits = true};
  const auto batch = hfModel().captureBatch(ids, all);
  ASSERT_EQ(batch.size(), ids.size());
  const char* names[] = {"logits", "keys", "keysPreRope", "values", "queries", "attnOutput"};
  double worst[6] = {};
  for (std::size_t b = 0; b < ids.size(); ++b) {
    const auto one = hfModel().capture(ids[b], all);
    EXPECT_EQ(batch[b].numTokens, 64);
    worst[0] = std::max(worst[0], test::maxRelativeError(batch[b].logits, one.logits));
    for (std::size_t l = 0; l < one.layers.size(); ++l) {
      const auto &x = batch[b].layers[l], &y = one.layers[l];
      const std::vector<float>* got[] = {&x.keys, &x.keysPreRope, &x.values, &x.queries,
                                         &x.attnOutput};
      const std::vector<float>* want[] = {&y.keys, &y.keysPreRope, &y.values, &y.queries,
                                          &y.attnOutput};
      for (int i = 0; i < 5; ++i) {
        ASSERT_FALSE(want[i]->empty());
        worst[i + 1] = std::max(worst[i + 1], test::maxRelativeError(*got[i], *want[i]));
      }
    }
  }
  std::cout << "captureBatch vs capture, max relative difference:";
  for (int i = 0; i < 6; ++i) {
    std::cout << " " << names[i] << " " << worst[i];
    EXPECT_LT(worst[i], 1e-5) << names[i];
  }
  std::cout << "\n";
}

TEST(LlamaModelBatch, ContinuationLogitsBatchEqualsSingle) {
  SKIP_WITHOUT_MODEL();
  const auto ids = windows(96);
  const int context = 64;
  std::mt19937 rng(11);
  const auto cap = hfModel().capture({ids[0].begin(), ids[0].begin() + context});
  std::vector<float> zeros(static_cast<std::size_t>(context) * 8, 0.f);
  const std::vector<std::vector<CacheSubstitution>> subs{
      allTargets(cap, context, 0.5, rng), {}, {{2, 1, false, zeros}}};
  const auto batch = hfModel().continuationLogitsBatch(ids, context, subs);
  ASSERT_EQ(batch.size(), ids.size());
  double worst = 0;
  for (std::size_t b = 0; b < ids.size(); ++b)
    worst = std::max(worst, test::maxRelativeError(
                                batch[b], hfModel().continuationLogits(ids[b], context, subs[b])));
  std::cout << "continuationLogitsBatch vs continuationLogits: max relative difference " << worst
            << "\n";
  EXPECT_LT(worst, 1e-5);
  auto ragged = ids;
  ragged[1].pop_back();
  EXPECT_THROW(hfModel().continuationLogitsBatch(ragged, context, subs), std::invalid_argument);
  EXPECT_THROW(hfModel().continuationLogitsBatch(ids, context, {{}, {}}), std::invalid_argument);
  EXPECT_THROW(hfModel().captureBatch(ragged), std::invalid_argument);
  EXPECT_TRUE(hfModel().captureBatch({}).empty());
}

TEST(LlamaModelBatch, GenerateWithCacheBatch) {
  SKIP_WITHOUT_MODEL();
  const auto prefixes = windows(48);
  const int n = 24;
  // Exact cache: what generate() continues, for each prefix and the model card's BOS prompt.
  const auto exact = hfModel().generateWithCacheBatch(prefixes, {{}, {}, {}}, n);
  for (std::size_t b = 0; b < prefixes.size(); ++b)
    EXPECT_EQ(exact[b], hfModel().generate(prefixes[b], n)) << b;
  EXPECT_EQ(hfModel().generateWithCacheBatch({{1}}, {{}}, 40)[0], hfModel().generate({1}, 40));
  // Substituted cache: a batch gives what each prefix alone gives, and teacher-forcing the
  // output through continuationLogits picks the same tokens.
  std::mt19937 rng(5);
  const auto cap = hfModel().capture(prefixes[0]);
  const std::vector<std::vector<CacheSubstitution>> subs{allTargets(cap, 48, 1.0, rng), {}, {}};
  const auto noisy = hfModel().generateWithCacheBatch(prefixes, subs, n);
  EXPECT_EQ(noisy[0], hfModel().generateWithCacheBatch({prefixes[0]}, {subs[0]}, n)[0]);
  EXPECT_EQ(noisy[1], exact[1]);
  std::vector<int> forced = prefixes[0];
  forced.insert(forced.end(), noisy[0].begin(), noisy[0].end());
  const auto logits = hfModel().continuationLogits(forced, 48, subs[0]);
  for (int t = 0; t < n; ++t) {
    const auto row = logits.begin() + t * 512;
    EXPECT_EQ(std::max_element(row, row + 512) - row, noisy[0][t]) << "token " << t;
  }
}

TEST(LlamaModel, BadCheckpointsThrowInputError) {
  test::TempDir dir;
  const std::string bin = test::readFile(binPath());
  test::writeFile(dir / "truncated.bin", bin.substr(0, bin.size() - 100));
  EXPECT_THROW(LlamaModel(dir / "truncated.bin"), InputError);
  EXPECT_THROW(LlamaModel(dir / "absent"), InputError);
  std::filesystem::create_directory(dir / "hf");
  std::filesystem::copy_file(hfDir() / "config.json", dir / "hf/config.json");
  EXPECT_THROW(LlamaModel(dir / "hf"), InputError);  // no weights
}

}  // namespace
}  // namespace kvwb::core
