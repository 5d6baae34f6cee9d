// Extraction on the real bundled model: the stored Q, K, V reproduce the runner's own attention
// outputs; windows never repeat text; metadata and token ids are stored.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/capture/capture_extract.h"
#include "core/base/errors.h"
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
