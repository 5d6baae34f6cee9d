// Code paths the real model does not exercise (llama3 RoPE scaling, bf16 weights, sharded
// safetensors, Qwen2 q/k/v bias, Qwen3 q/k norms with an explicit head_dim, Mistral's sliding
// window): random checkpoints from tools/make_test_checkpoints.py, with logits, K/V/Q and
// substituted-cache continuations (one with evicted positions) from its independent float64
// PyTorch forward as the reference; the batched entry points against the per-sequence ones;
// architectures the runner refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>

#include "compare.h"
#include "core/base/errors.h"
#include "core/model/llama_model.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

using test::maxRelativeError;

class SyntheticCheckpoint : public testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    s_dir = std::make_unique<test::TempDir>();
    s_python = test::pythonHasModules("torch,numpy");
  }
  static void TearDownTestSuite() { s_dir.reset(); }
  // Each variant is generated on first use (CTest runs every test in its own process).
  void SetUp() override {
    if (!s_python)
      GTEST_SKIP() << "/usr/bin/python3 with torch and numpy is needed to generate checkpoints";
    m_dir = s_dir->path() / GetParam();
    if (!std::filesystem::exists(m_dir / "reference.json"))
      ASSERT_EQ(test::runPython({(test::sourceDir() / "tools/make_test_checkpoints.py").string(),
                                 s_dir->path().string(), GetParam()}),
                0);
    m_ref = nlohmann::json::parse(test::readFile(m_dir / "reference.json"));
    m_tokens = m_ref.at("tokens").get<std::vector<int>>();
  }

  // The reference continuation's substitutions (every K and V target of the context, noisy), or
  // those of `entry` ("evicted_continuation": the same with keep masks).
  std::vector<CacheSubstitution> substitutions(const char* entry = "continuation") const {
    std::vector<CacheSubstitution> subs;
    for (const auto& s : m_ref.at(entry).at("substitutions"))
      subs.push_back({s.at("layer").get<int>(), s.at("head").get<int>(), s.at("keys").get<bool>(),
                      s.at("data").get<std::vector<float>>(),
                      s.value("keep", std::vector<std::uint8_t>{})});
    return subs;
  }

  static inline std::unique_ptr<test::TempDir> s_dir;
  static inline bool s_python = false;
  std::filesystem::path m_dir;
  nlohmann::json m_ref;
  std::vector<int> m_tokens;
};

// Logits and every captured tensor (keys after RoPE, keys before it, values, queries) against
// the float64 reference, 1e-4 relative to the tensor's largest magnitude.
TEST_P(SyntheticCheckpoint, LogitsAndKvqMatchPyTorchReference) {
  const LlamaModel model(m_dir, {"cpu", "float32"});
  const auto cap = model.capture(m_tokens, {.keysPreRope = true, .queries = true, .logits = true});
  const double logitErr =
      maxRelativeError(cap.logits, m_ref.at("logits").get<std::vector<double>>());
  EXPECT_LT(logitErr, 1e-4);
  const auto& layers = m_ref.at("layers");
  ASSERT_EQ(cap.layers.size(), layers.size());
  double worst = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::pair<const char*, const std::vector<float>*> tensors[] = {
        {"keys", &cap.layers[l].keys},
        {"keys_prerope", &cap.layers[l].keysPreRope},
        {"values", &cap.layers[l].values},
        {"queries", &cap.layers[l].queries}};
    for (const auto& [name, got] : tensors) {
      const double err = maxRelativeError(*got, layers[l].at(name).get<std::vector<double>>());
      EXPECT_LT(err, 1e-4) << "layer " << l << " " << name;
      worst = std::max(worst, err);
    }
  }
  std::cout << GetParam() << ": max relative error vs float64 reference: logits " << logitErr
            << ", K/Kpre/V/Q " << worst << "\n";
}

// continuationLogits over a cache with every context target replaced: the reference runs the
// same procedure (position C-1 re-run over the substituted cache; Mistral's window throughout).
TEST_P(SyntheticCheckpoint, SubstitutedContinuationMatchesPyTorchReference) {
  const LlamaModel model(m_dir, {"cpu", "float32"});
  const int context = m_ref.at("continuation").at("context").get<int>();
  const auto logits = model.continuationLogits(m_tokens, context, substitutions());
  const double err =
      maxRelativeError(logits, m_ref.at("continuation").at("logits").get<std::vector<double>>());
  std::cout << GetParam() << ": substituted continuation, max relative error " << err << "\n";
  EXPECT_LT(err, 1e-4);
}

// The same continuation with keep masks (several positions evicted per target, different for a
// head's K and V, C-1 among them for two targets): a position evicted by a KV head's K or V is
// masked out of attention for all its query heads, except for the query at that position (the
// re-run of C-1 still sees itself); the reference masks those scores with -inf. In a batch beside
// the unevicted continuation, each sequence still gets its own reference.
TEST_P(SyntheticCheckpoint, EvictedContinuationMatchesPyTorchReference) {
  const LlamaModel model(m_dir, {"cpu", "float32"});
  const auto& ref = m_ref.at("evicted_continuation");
  const int context = ref.at("context").get<int>();
  const auto subs = substitutions("evicted_continuation");
  ASSERT_TRUE(std::any_of(subs.begin(), subs.end(),
                          [&](const CacheSubstitution& s) { return s.keep.back() == 0; }));
  const auto expected = ref.at("logits").get<std::vector<double>>();
  const double err = maxRelativeError(model.continuationLogits(m_tokens, context, subs), expected);
  std::cout << GetParam() << ": evicted continuation, max relative error " << err << "\n";
  EXPECT_LT(err, 1e-4);
  const auto batch =
      model.continuationLogitsBatch({m_tokens, m_tokens}, context, {substitutions(), subs});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_LT(maxRelativeError(
                batch[0], m_ref.at("continuation").at("logits").get<std::vector<double>>()),
            1e-4);
  EXPECT_LT(maxRelativeError(batch[1], expected), 1e-4);
}

// The batched entry points give what the per-sequence ones give, sequence by sequence.
TEST_P(SyntheticCheckpoint, BatchEqualsPerSequence) {
  const LlamaModel model(m_dir, {"cpu", "float32"});
  const int context = m_ref.at("continuation").at("context").get<int>();
  std::vector<std::vector<int>> ids{m_tokens, m_tokens, m_tokens};
  std::rotate(ids[1].begin(), ids[1].begin() + 7, ids[1].end());
  std::reverse(ids[2].begin(), ids[2].end());
  const CaptureRequest all{
      .keysPreRope = true, .queries = true, .attnOutput = true, .logits = true};
  const auto batch = model.captureBatch(ids, all);
  ASSERT_EQ(batch.size(), ids.size());
  const std::vector<std::vector<CacheSubstitution>> subs{substitutions(), {}, {substitutions()[1]}};
  const auto contBatch = model.continuationLogitsBatch(ids, context, subs);
  for (std::size_t b = 0; b < ids.size(); ++b) {
    const auto one = model.capture(ids[b], all);
    EXPECT_EQ(batch[b].tokens, ids[b]);
    EXPECT_LT(maxRelativeError(batch[b].logits, one.logits), 1e-5) << b;
    for (std::size_t l = 0; l < one.layers.size(); ++l) {
      const auto &x = batch[b].layers[l], &y = one.layers[l];
      EXPECT_LT(maxRelativeError(x.keys, y.keys), 1e-5) << b << " " << l;
      EXPECT_LT(maxRelativeError(x.keysPreRope, y.keysPreRope), 1e-5) << b << " " << l;
      EXPECT_LT(maxRelativeError(x.values, y.values), 1e-5) << b << " " << l;
      EXPECT_LT(maxRelativeError(x.queries, y.queries), 1e-5) << b << " " << l;
      EXPECT_LT(maxRelativeError(x.attnOutput, y.attnOutput), 1e-5) << b << " " << l;
    }
    EXPECT_LT(maxRelativeError(contBatch[b], model.continuationLogits(ids[b], context, subs[b])),
              1e-5)
        << b;
  }
}

// Greedy generation over a substituted prefix cache: with no substitutions it is generate();
// with them, teacher-forcing its own output through continuationLogits (tested against the
// reference above) picks the same tokens; a batch gives what each prefix alone gives.
TEST_P(SyntheticCheckpoint, GenerateWithSubstitutedCache) {
  const LlamaModel model(m_dir, {"cpu", "float32"});
  const int context = m_ref.at("continuation").at("context").get<int>(), n = 12;
  const std::vector<int> prefix(m_tokens.begin(), m_tokens.begin() + context);
  std::vector<int> other(m_tokens.end() - context, m_tokens.end());
  const auto subs = substitutions();
  const auto exact = model.generateWithCacheBatch({prefix, other}, {{}, {}}, n);
  EXPECT_EQ(exact[0], model.generate(prefix, n));
  EXPECT_EQ(exact[1], model.generate(other, n));
  const auto batch = model.generateWithCacheBatch({prefix, other}, {subs, {}}, n);
  ASSERT_EQ(batch[0].size(), static_cast<std::size_t>(n));
  EXPECT_EQ(batch[0], model.generateWithCacheBatch({prefix}, {subs}, n)[0]);
  EXPECT_EQ(batch[1], exact[1]);
  std::vector<int> forced = prefix;
  forced.insert(forced.end(), batch[0].begin(), batch[0].end());
  const auto logits = model.continuationLogits(forced, context, subs);
  const int vocab = model.config().vocabSize;
  for (int t = 0; t < n; ++t) {
    const auto row = logits.begin() + static_cast<std::ptrdiff_t>(t) * vocab;
    EXPECT_EQ(std::max_element(row, row + vocab) - row, batch[0][t]) << "token " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, SyntheticCheckpoint,
                         testing::Values("llama3_rope", "bf16", "sharded", "qwen2_bias",
                                         "qwen3_qknorm", "mistral_window"));

const char* kBaseFields = R"("hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 97)";

ModelConfig parseFields(const test::TempDir& dir, const std::string& extra) {
  test::writeFile(dir / "config.json", "{" + std::string(kBaseFields) + extra + "}");
  return parseModelConfig(dir / "config.json");
}

// The InputError message of parsing `extra`, or "" when it parses.
std::string refusal(const test::TempDir& dir, const std::string& extra) {
  try {
    parseFields(dir, extra);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(SyntheticConfig, ParsesVariantFields) {
  test::TempDir dir;
  test::writeFile(dir / "config.json", R"({"model_type": "qwen2", "hidden_size": 64,
    "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 97, "eos_token_id": [7, 8],
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
    "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})");
  const ModelConfig c = parseModelConfig(dir / "config.json");
  EXPECT_TRUE(c.qkvBias);
  EXPECT_FALSE(c.outputBias);
  EXPECT_FALSE(c.qkNorm);
  EXPECT_EQ(c.slidingWindow, 0);
  EXPECT_EQ(c.headDim, 16);
  EXPECT_EQ(c.eosTokenId, 7);
  EXPECT_EQ(c.ropeScaling.type, "llama3");
  EXPECT_EQ(c.ropeScaling.originalMaxPositions, 8192);
  test::writeFile(dir / "config.json", R"({"hidden_size": 64, "intermediate_size": 96,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 9})");
  EXPECT_THROW(parseModelConfig(dir / "config.json"), InputError);
}

TEST(SyntheticConfig, ParsesQwen3AndMistralFields) {
  test::TempDir dir;
  const ModelConfig qwen3 = parseFields(dir, R"(, "model_type": "qwen3", "head_dim": 24,
    "use_sliding_window": false, "sliding_window": 4096, "layer_types": ["full_attention"])");
  EXPECT_TRUE(qwen3.qkNorm);
  EXPECT_FALSE(qwen3.qkvBias);
  EXPECT_EQ(qwen3.headDim, 24);
  EXPECT_EQ(qwen3.slidingWindow, 0);  // Qwen's window is off unless use_sliding_window
  const ModelConfig mistral =
      parseFields(dir, R"(, "model_type": "mistral", "sliding_window": 4096)");
  EXPECT_EQ(mistral.slidingWindow, 4096);
  EXPECT_FALSE(mistral.qkNorm);
  EXPECT_EQ(parseFields(dir, R"(, "model_type": "mistral", "sliding_window": null)").slidingWindow,
            0);
  EXPECT_EQ(parseFields(dir, R"(, "model_type": "mistral")").slidingWindow, 0);
  const ModelConfig v5 =
      parseFields(dir, R"(, "rope_parameters": {"rope_type": "default", "rope_theta": 500000.0})");
  EXPECT_EQ(v5.ropeTheta, 500000.0);
}

// Unknown architectures and fields whose semantics the runner does not implement are refused
// with config.json and the field named, by the parser and by the model loader alike.
TEST(SyntheticConfig, RefusesUnsupportedArchitecturesAndFeatures) {
  test::TempDir dir;
  const std::string gpt2 = refusal(dir, R"(, "model_type": "gpt2")");
  EXPECT_NE(gpt2.find("config.json"), std::string::npos) << gpt2;
  EXPECT_NE(gpt2.find("model_type \"gpt2\" is not supported (supported: llama, mistral, qwen2, "
                      "qwen3)"),
            std::string::npos)
      << gpt2;
  try {
    LlamaModel model(dir.path());
    ADD_FAILURE() << "gpt2 loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: model_type \"gpt2\""), std::string::npos)
        << e.what();
  }
  const std::pair<const char*, const char*> features[] = {
      {R"(, "hidden_act": "gelu")", "hidden_act"},
      {R"(, "mlp_bias": true)", "mlp_bias"},
      {R"(, "model_type": "qwen2", "use_sliding_window": true, "sliding_window": 8)",
       "use_sliding_window"},
      {R"(, "model_type": "qwen3", "layer_types": ["sliding_attention", "full_attention"])",
       "layer_types"},
      {R"(, "model_type": "mistral", "sliding_window": 0)", "sliding_window"},
      {R"(, "rope_scaling": {"rope_type": "yarn", "factor": 4.0})", "rope_scaling"},
      {R"(, "partial_rotary_factor": 0.5)", "partial_rotary_factor"}};
  for (const auto& [extra, field] : features) {
    const std::string message = refusal(dir, extra);
    EXPECT_NE(message.find("config.json"), std::string::npos) << extra << ": " << message;
    EXPECT_NE(message.find(field), std::string::npos) << extra << ": " << message;
  }
}

}  // namespace
}  // namespace kvwb::core
