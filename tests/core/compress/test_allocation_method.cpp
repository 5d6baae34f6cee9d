// "allocation", a method per target (issue 18): on the demo project's real keys and values, each
// target's fit equals its assigned method fitted on that target's group alone (reconstruction,
// bytes, kept tokens, its own parameters in the row); quality windows stack windows as layers, so
// the assignment is looked up by depth; targets without an entry are infeasible; malformed
// assignments are refused naming the entry.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "core/compress/compressor.h"
#include "core/project/project.h"
#include "core/sweep/target_batch.h"

namespace fs = std::filesystem;
using namespace kvwb::core;

namespace {

fs::path demo() { return fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw"; }

BatchFit fitWith(const std::string& method, const KindBatch& batch, const nlohmann::json& params) {
  JobContext ctx;
  return makeCompressor(method)->fit(batch.targets, params, batch.fitInputs(7), "cpu", ctx);
}

// Three families, one of them reading the queries and keeping tokens.
const nlohmann::json kOptions = nlohmann::json::array({{{"method", "svd"}, {"rank", 2}},
                                                      {{"method", "quant"}, {"bits", 4}, {"axis", "kivi"}},
                                                      {{"method", "snapkv"}, {"keep_ratio", 0.5}}});

// Target i of `refs` gets option (i + shift) % 3.
nlohmann::json assignment(const std::vector<TargetRef>& refs, const std::string& kind, const std::string& capture,
                          int shift) {
  nlohmann::json a = nlohmann::json::array();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto entry = kOptions[(i + static_cast<std::size_t>(shift)) % 3];
    entry.update({{"capture", capture}, {"layer", refs[i].layer}, {"head", refs[i].head}, {"kind", kind}});
    a.push_back(entry);
  }
  return a;
}

double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

}  // namespace

TEST(AllocationMethod, EachTargetIsFittedByItsAssignedMethodAlone) {
  if (!fs::exists(demo())) GTEST_SKIP() << demo() << " missing";
  const auto p = Project::open(demo());
  const auto& c = p.captures().front();
  TargetReader reader(p, c.name);
  std::vector<TargetRef> refs;
  for (int l = 0; l < c.layers; ++l)
    for (int h = 0; h < c.kvHeads; ++h) refs.push_back({l, h});
  const std::int64_t N = c.tokens - 64;  // the rest is calibration, as a sweep at 448 of 512 has
  for (const std::string kind : {"K", "V"}) {
    const auto batch = buildKindBatch(reader, refs, kind, N);
    const auto all = fitWith("allocation", batch, {{"assignment", assignment(refs, kind, c.name, 1)}, {"label", "t"}});
    ASSERT_EQ(all.targets.size(), refs.size());
    EXPECT_GE(all.fitSeconds, 0);
    for (std::size_t o = 0; o < kOptions.size(); ++o) {
      std::vector<TargetRef> group;
      std::vector<std::size_t> at;
      for (std::size_t i = 0; i < refs.size(); ++i)
        if ((i + 1) % 3 == o) group.push_back(refs[i]), at.push_back(i);
      auto params = kOptions[o];
      const std::string method = params["method"];
      params.erase("method");
      const auto alone = fitWith(method, buildKindBatch(reader, group, kind, N), params);
      for (std::size_t j = 0; j < group.size(); ++j) {
        const auto& mine = all.targets[at[j]];
        SCOPED_TRACE(kind + " " + method + " L" + std::to_string(group[j].layer) + " H" + std::to_string(group[j].head));
        EXPECT_LT(maxAbsDiff(mine.reconstruction, alone.targets[j].reconstruction), 1e-5);
        EXPECT_DOUBLE_EQ(mine.bytes.total(), alone.targets[j].bytes.total());
        EXPECT_EQ(mine.kept, alone.targets[j].kept);
        EXPECT_EQ(mine.params.at("method"), method);
        for (const auto& [key, value] : params.items()) EXPECT_EQ(mine.params.at(key), value);
      }
    }
  }
}

TEST(AllocationMethod, WindowsStackedAsLayersFindTheirTargetsByDepth) {
  if (!fs::exists(demo())) GTEST_SKIP() << demo() << " missing";
  const auto p = Project::open(demo());
  const auto& c = p.captures().front();
  TargetReader reader(p, c.name);
  const std::vector<TargetRef> refs = {{1, 0}, {2, 1}};
  auto batch = buildKindBatch(reader, refs, "K", 128);
  const auto a = assignment(refs, "K", c.name, 0);  // L1 H0 svd, L2 H1 quant
  // A quality batch stacks window w's layer l as layer w * L + l (window_quality.cpp).
  for (auto& r : batch.refs) r.layer += static_cast<int>(c.layers);
  const auto fit = fitWith("allocation", batch, {{"assignment", a}});
  EXPECT_EQ(fit.targets[0].params.at("method"), "svd");
  EXPECT_EQ(fit.targets[1].params.at("method"), "quant");
  // Another capture's entries do not apply; entries without a capture apply to any.
  auto other = a;
  for (auto& e : other) e["capture"] = "elsewhere";
  try {
    fitWith("allocation", batch, {{"assignment", other}});
    ADD_FAILURE() << "a target without an entry was fitted";
  } catch (const Infeasible& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 head 0 K"), std::string::npos) << e.what();
  }
  for (auto& e : other) e.erase("capture");
  EXPECT_EQ(fitWith("allocation", batch, {{"assignment", other}}).targets[1].params.at("method"), "quant");
}

TEST(AllocationMethod, MalformedAssignmentsAreRefusedNamingTheEntry) {
  const auto& d = methodDescriptor("allocation");
  const nlohmann::json good = {{"layer", 0}, {"head", 0}, {"kind", "K"}, {"method", "svd"}, {"rank", 2}};
  const auto refused = [&](nlohmann::json entry, const std::string& part) {
    try {
      validateParams(d, {{"assignment", nlohmann::json::array({good, entry})}});
      ADD_FAILURE() << "accepted " << entry.dump();
    } catch (const ParamError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("assignment[1]"), std::string::npos) << e.what();
    }
  };
  EXPECT_NO_THROW(validateParams(d, {{"assignment", nlohmann::json::array({good})}, {"label", "x"}}));
  refused(good, "second time");
  auto e = good;
  e["layer"] = 1, e["kind"] = "Q";
  refused(e, "kind");
  e["kind"] = "V", e["head"] = -1;
  refused(e, "head");
  e["head"] = 0, e["rank"] = "two";
  refused(e, "rank");
  e["rank"] = 2, e["method"] = "allocation";
  refused(e, "made by a tool");
  e["method"] = "sdv";
  refused(e, "did you mean 'svd'");
  EXPECT_THROW(validateParams(d, {{"assignment", nlohmann::json::array()}}), ParamError);
  EXPECT_THROW(validateParams(d, nlohmann::json::object()), ParamError);  // assignment is required
  EXPECT_TRUE(d.generated);
  // One target's bytes estimate: the mean over the entries.
  const nlohmann::json two = {{"assignment", {good, {{"layer", 1}, {"head", 0}, {"kind", "V"}, {"method", "svd"}, {"rank", 4}}}}};
  const TargetShape shape{448, 8};
  EXPECT_DOUBLE_EQ(estimateBytes(d, two, shape),
                   (estimateBytes(methodDescriptor("svd"), {{"rank", 2}}, shape) +
                    estimateBytes(methodDescriptor("svd"), {{"rank", 4}}, shape)) / 2);
}
