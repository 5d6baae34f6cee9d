// Extraction on the real bundled model: the stored Q, K, V reproduce the runner's own attention
// outputs; windows never repeat text; metadata and token ids are stored.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/capture/capture_extract.h"
#include "core/model/llama_model.h"
#include "core/model/tokenizer.h"
#include "core/project/project.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {
class RealExtraction : public ::testing::Test {
 protected:
  void SetUp() override {
    m_opt.model = kvwb::test::modelDir("stories260K-hf");
    m_opt.textFile = kvwb::test::textFile("tinystories.txt");
    m_opt.tokens = 96;
    m_opt.device = "cpu";
  }
  ExtractOptions m_opt;
  kvwb::test::TempDir m_dir;
};
}  // namespace

TEST_F(RealExtraction, StoredQkvReproduceRunnerAttention) {
  JobContext ctx;
  const auto info = extractCapture(m_opt, m_dir / "p.kvw", ctx);
  const auto p = Project::open(m_dir / "p.kvw");
  EXPECT_EQ(info.layers, 5);
  EXPECT_EQ(info.queryHeads, 8);
  const auto ids = p.tokenIds(info.name);
  ASSERT_EQ(ids.size(), 96u);
  EXPECT_EQ(ids[0], 1);  // BOS
  const auto meta = nlohmann::json::parse(p.capture(info.name).metadataJson);
  EXPECT_EQ(meta["rope_layout"], "half");
  EXPECT_EQ(meta["prompt_label"], "tinystories");

  const LlamaModel model(m_opt.model, {.device = "cpu"});
  CaptureRequest req;
  req.attnOutput = true;
  const auto ref = model.capture(std::vector<int>(ids.begin(), ids.end()), req);
  const int T = 96, D = 8, group = 2;
  double worst = 0;
  for (int l = 0; l < 5; ++l)
    for (int hq = 0; hq < 8; ++hq) {
      const auto Q = p.readTarget(info.name, TensorKind::Queries, l, hq);
      const auto K = p.readTarget(info.name, TensorKind::Keys, l, hq / group);
      const auto V = p.readTarget(info.name, TensorKind::Values, l, hq / group);
      for (int i = 0; i < T; ++i) {
        std::vector<double> w(i + 1);
        double mx = -1e300, z = 0;
        for (int j = 0; j <= i; ++j) {
          double s = 0;
          for (int d = 0; d < D; ++d) s += double(Q.at(i, d)) * K.at(j, d);
          mx = std::max(mx, w[j] = s / std::sqrt(double(D)));
        }
        for (auto& x : w) z += (x = std::exp(x - mx));
        for (int d = 0; d < D; ++d) {
          double o = 0;
          for (int j = 0; j <= i; ++j) o += w[j] / z * V.at(j, d);
          const float want = ref.layers[l].attnOutput[(hq * T + i) * D + d];
          worst = std::max(worst, std::abs(o - want));
        }
      }
    }
  EXPECT_LT(worst, 1e-4) << "stored Q, K, V do not reproduce the runner's attention output";
  // RoPE at position 0 is the identity: pre- and post-RoPE keys agree there, and differ later.
  const auto k = p.readTarget(info.name, TensorKind::Keys, 2, 1);
  const auto kp = p.readTarget(info.name, TensorKind::KeysPreRope, 2, 1);
  for (int d = 0; d < D; ++d) EXPECT_NEAR(k.at(0, d), kp.at(0, d), 1e-6);
  EXPECT_GT(std::abs(k.at(50, 0) - kp.at(50, 0)) + std::abs(k.at(50, 1) - kp.at(50, 1)), 1e-4);
}

TEST_F(RealExtraction, WindowsNeverRepeatTextAndStartWithBos) {
  JobContext ctx;
  m_opt.tokens = 1000000;
  try {
    extractCapture(m_opt, m_dir / "p.kvw", ctx);
    FAIL() << "a window longer than the text must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("never repeated"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(m_dir / "p.kvw"));
  m_opt.tokens = 64;
  m_opt.startToken = 200;
  m_opt.captureName = "later";
  extractCapture(m_opt, m_dir / "p.kvw", ctx);
  const auto ids = Project::open(m_dir / "p.kvw").tokenIds("later");
  const auto all = Tokenizer::load(m_opt.model).encode(kvwb::test::readFile(m_opt.textFile), true);
  ASSERT_EQ(ids.size(), 64u);
  EXPECT_EQ(ids[0], 1);
  for (int i = 1; i < 64; ++i) ASSERT_EQ(ids[i], all[200 + i]);
}

namespace {

// A copy of the real model folder at `dir`/`name` whose config.json has `field` set to `value`
// (JSON text), or unchanged when `field` is empty.
std::filesystem::path brokenModel(const kvwb::test::TempDir& dir, const std::string& name,
                                  const std::string& field, const std::string& value) {
  const auto model = dir / name;
  std::filesystem::copy(kvwb::test::modelDir("stories260K-hf"), model);
  if (!field.empty()) {
    auto config = nlohmann::json::parse(kvwb::test::readFile(model / "config.json"));
    config[field] = nlohmann::json::parse(value);
    kvwb::test::writeFile(model / "config.json", config.dump());
  }
  return model;
}

// Sets every float32 of tensor `name` in `model`/model.safetensors to `value`.
void setWeights(const std::filesystem::path& model, const std::string& name, float value) {
  auto bytes = kvwb::test::readFile(model / "model.safetensors");
  std::uint64_t headerLen = 0;
  std::memcpy(&headerLen, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, headerLen));
  const auto begin = header.at(name).at("data_offsets")[0].get<std::size_t>();
  const auto end = header.at(name).at("data_offsets")[1].get<std::size_t>();
  for (auto at = 8 + headerLen + begin; at < 8 + headerLen + end; at += 4)
    std::memcpy(bytes.data() + at, &value, 4);
  kvwb::test::writeFile(model / "model.safetensors", bytes);
}

}  // namespace

// Issue 14: broken model folders once stored NaN or Inf captures with exit 0, and config
// integers were silently truncated. Each is refused naming the file and the problem, and no
// project is written.
TEST_F(RealExtraction, BrokenModelFoldersAreRefusedAndStoreNothing) {
  JobContext ctx;
  auto errorOf = [&](const std::filesystem::path& model) {
    m_opt.model = model;
    try {
      extractCapture(m_opt, m_dir / "p.kvw", ctx);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const struct {
    const char* field;
    const char* value;
    const char* problem;
  } configs[] = {
      {"num_hidden_layers", "3.7", "\"num_hidden_layers\" must be an integer, got 3.7"},
      {"num_hidden_layers", "1e30", "\"num_hidden_layers\" must be an integer, got 1e+30"},
      {"vocab_size", "4294967808", "\"vocab_size\" = 4294967808 is out of range"},
      {"num_key_value_heads", "-2147483649",
       "\"num_key_value_heads\" = -2147483649 is out of range"},
      {"rope_theta", "0", "rope_theta 0.000000 must be positive and finite"},
      {"rope_theta", "-10000.0", "rope_theta -10000.000000 must be positive and finite"},
      {"rms_norm_eps", "-1e-05", "rms_norm_eps -0.000010 must be positive and finite"},
  };
  int k = 0;
  for (const auto& c : configs) {
    const auto model = brokenModel(m_dir, "m" + std::to_string(k++), c.field, c.value);
    EXPECT_EQ(errorOf(model), (model / "config.json").string() + ": " + c.problem);
  }
  const auto inf = brokenModel(m_dir, "inf", "", "");
  setWeights(inf, "model.layers.1.self_attn.k_proj.weight", INFINITY);
  EXPECT_EQ(errorOf(inf), (inf / "model.safetensors").string() +
                              ": tensor model.layers.1.self_attn.k_proj.weight holds NaN or Inf at "
                              "element 0 (a cache from it would too)");
  // Finite weights whose products overflow float32: the last guard on the captured cache.
  const auto overflow = brokenModel(m_dir, "overflow", "", "");
  setWeights(overflow, "model.layers.1.input_layernorm.weight", 1e30f);
  const auto guard = errorOf(overflow);
  EXPECT_EQ(guard.rfind(overflow.string() + ": the model produced NaN or Inf in layer ", 0), 0u)
      << guard;
  EXPECT_NE(guard.find("nothing was stored"), std::string::npos) << guard;
  EXPECT_FALSE(std::filesystem::exists(m_dir / "p.kvw"));
}
