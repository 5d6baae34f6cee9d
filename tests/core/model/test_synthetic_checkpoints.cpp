// Code paths the real model does not exercise (llama3 RoPE scaling, bf16 weights, sharded
// safetensors, Qwen2 q/k/v bias): random checkpoints from tools/make_test_checkpoints.py, with
// logits from its independent float64 PyTorch forward as the reference.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/model/llama_model.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

class SyntheticCheckpoint : public testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    s_dir = std::make_unique<test::TempDir>();
    s_ok = test::pythonHasModules("torch,numpy") &&
           test::runPython({(test::sourceDir() / "tools/make_test_checkpoints.py").string(),
                            s_dir->path().string()}) == 0;
  }
  static void TearDownTestSuite() { s_dir.reset(); }
  static inline std::unique_ptr<test::TempDir> s_dir;
  static inline bool s_ok = false;
};

TEST_P(SyntheticCheckpoint, LogitsMatchPyTorchReference) {
  if (!s_ok)
    GTEST_SKIP() << "/usr/bin/python3 with torch and numpy is needed to generate checkpoints";
  const auto dir = s_dir->path() / GetParam();
  const auto ref = nlohmann::json::parse(test::readFile(dir / "reference.json"));
  const auto tokens = ref.at("tokens").get<std::vector<int>>();
  const auto expected = ref.at("logits").get<std::vector<double>>();
  const LlamaModel model(dir, {"cpu", "float32"});
  const auto logits = model.logits(tokens);
  ASSERT_EQ(logits.size(), expected.size());
  double maxDiff = 0, maxAbs = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    maxDiff = std::max(maxDiff, std::abs(logits[i] - expected[i]));
    maxAbs = std::max(maxAbs, std::abs(expected[i]));
  }
  EXPECT_LT(maxDiff, 2e-4 * std::max(1.0, maxAbs)) << "max |logit| " << maxAbs;
}

INSTANTIATE_TEST_SUITE_P(Variants, SyntheticCheckpoint,
                         testing::Values("llama3_rope", "bf16", "sharded", "qwen2_bias"));

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
  EXPECT_EQ(c.headDim, 16);
  EXPECT_EQ(c.eosTokenId, 7);
  EXPECT_EQ(c.ropeScaling.type, "llama3");
  EXPECT_EQ(c.ropeScaling.originalMaxPositions, 8192);
  test::writeFile(dir / "config.json", R"({"hidden_size": 64, "intermediate_size": 96,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3, "vocab_size": 9})");
  EXPECT_THROW(parseModelConfig(dir / "config.json"), InputError);
}

}  // namespace
}  // namespace kvwb::core
