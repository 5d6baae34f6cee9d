// The contract every registered compression method keeps, checked by iterating the registry (as
// ggml's test-backend-ops iterates its ops): a new method is tested by being registered. On real
// keys and values of the demo project: the descriptor is complete and its default grid valid; a
// fit of each kind reconstructs every target finitely, records its effective parameters, and its
// byte ledger matches the descriptor's estimate; unknown keys are rejected; metrics are finite.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/compress/compressor.h"
#include "core/compress/method_docs.h"
#include "core/sweep/fit_and_measure.h"
#include "core/sweep/sweep_spec.h"

using namespace kvwb::core;
namespace fs = std::filesystem;

namespace {

fs::path demoProject() { return fs::path(KVWB_SOURCE_DIR) / "datasets" / "demo.kvw"; }

// The targets the fits below use.
const std::vector<TargetRef> kRefs = {{0, 0}, {1, 1}, {4, 3}};

// The first point of the method's default grid, training kept short: the contract, not quality.
// A generated method (an allocation) has no grid: an assignment of kRefs, keys and values, to
// SVD rank 2 and KIVI INT4 in turn, each option on a head's keys and values alike.
nlohmann::json quickParams(const MethodDescriptor& m) {
  if (m.generated) {
    nlohmann::json assignment = nlohmann::json::array();
    for (const char* kind : {"K", "V"})
      for (std::size_t i = 0; i < kRefs.size(); ++i) {  // each option on keys and values alike
        auto entry = i % 2 ? nlohmann::json{{"method", "quant"}, {"bits", 4}, {"axis", "kivi"}}
                           : nlohmann::json{{"method", "svd"}, {"rank", 2}};
        entry.update({{"layer", kRefs[i].layer}, {"head", kRefs[i].head}, {"kind", kind}});
        assignment.push_back(std::move(entry));
      }
    return {{"assignment", assignment}};
  }
  auto params = expandGrid(m.defaultGrid).front();
  if (m.param("epochs")) params["epochs"] = 3;
  return params;
}

class MethodContract : public ::testing::TestWithParam<const MethodDescriptor*> {};

}  // namespace

TEST_P(MethodContract, DescriptorIsComplete) {
  const auto& m = *GetParam();
  EXPECT_FALSE(m.doc.empty()) << m.name;
  EXPECT_EQ(&methodDescriptor(m.name), &m);
  EXPECT_TRUE(m.bytes && m.fitFlops) << m.name << " estimates its bytes and fit work";
  ASSERT_FALSE(m.params.empty()) << m.name;
  for (const auto& p : m.params) {
    EXPECT_FALSE(p.doc.empty()) << m.name << "." << p.name;
    if (p.type == kvwb::core::ParamType::Choice) EXPECT_FALSE(p.choices.empty()) << m.name << "." << p.name;
    if (p.defaultValue.is_null()) continue;
    auto withDefault = quickParams(m);  // holds what is required
    withDefault[p.name] = p.defaultValue;
    EXPECT_NO_THROW(validateParams(m, withDefault)) << m.name << "." << p.name << " default";
  }
  for (const auto& [name, values] : m.defaultGrid.items()) {
    EXPECT_NE(m.param(name), nullptr) << m.name << " grid names undeclared '" << name << "'";
    EXPECT_TRUE(values.is_array() && !values.empty()) << m.name << "." << name;
  }
  if (m.generated) return;  // made by a tool: no grid to start a sweep from
  for (const auto& point : expandGrid(m.defaultGrid)) EXPECT_NO_THROW(validateParams(m, point)) << point.dump();
}

TEST_P(MethodContract, FitsRealTargetsAsItsDescriptorSays) {
  if (!fs::exists(demoProject())) GTEST_SKIP() << demoProject() << " missing";
  const auto& m = *GetParam();
  const auto project = Project::open(demoProject());
  TargetReader reader(project, "tinystories");
  const auto& refs = kRefs;
  const std::int64_t tokens = 96;
  const TargetShape shape{tokens, reader.info().headDim};
  const auto params = quickParams(m);
  const double estimate = estimateBytes(m, params, shape);
  ASSERT_TRUE(std::isfinite(estimate) && estimate > 0) << m.name << " " << params.dump();
  EXPECT_TRUE(std::isfinite(estimateFitFlops(m, params, shape))) << m.name;
  double ledgerSum = 0;
  for (const char* kind : {"K", "V"}) {
    SCOPED_TRACE(m.name + " " + kind + " " + params.dump());
    const auto batch = buildKindBatch(reader, refs, kind, tokens);
    JobContext ctx;
    auto compressor = makeCompressor(m.name);
    EXPECT_EQ(compressor->method(), m.name);
    const auto measured = fitAndMeasure(*compressor, batch, params, 11, true, "cpu", ctx);
    ASSERT_EQ(measured.fit.targets.size(), refs.size());
    for (const auto& [key, value] : params.items())
      EXPECT_TRUE(measured.fit.effectiveParams.contains(key)) << "effective parameters record '" << key << "'";
    EXPECT_TRUE(std::isfinite(measured.fit.fitSeconds) && measured.fit.fitSeconds >= 0);
    EXPECT_TRUE(std::isfinite(measured.fit.decodeMs) && measured.fit.decodeMs >= 0);
    for (std::size_t i = 0; i < refs.size(); ++i) {
      const auto& t = measured.fit.targets[i];
      ASSERT_EQ(t.reconstruction.size(), static_cast<std::size_t>(tokens * shape.dims));
      for (float v : t.reconstruction) ASSERT_TRUE(std::isfinite(v));
      EXPECT_GT(t.bytes.total(), 0);
      for (const auto& [item, bytes] : t.bytes.items) EXPECT_GE(bytes, 0) << item;
      ledgerSum += t.bytes.total();
      for (auto metric : {FitMetric::CosSim, FitMetric::RelErr, FitMetric::AttnOutErr, FitMetric::AttnKl})
        EXPECT_TRUE(std::isfinite(measured.metrics[i][metric])) << fitMetric(metric).column;
    }
  }
  // Per target: the mean of key and value targets (layouts may differ by kind).
  const double perTarget = ledgerSum / (2.0 * static_cast<double>(refs.size()));
  if (m.bytesExact)
    EXPECT_NEAR(perTarget, estimate, 1e-9 * estimate) << m.name << " ledger vs descriptor estimate";
  else
    EXPECT_LE(perTarget, estimate * (1 + 1e-12)) << m.name << " ledger within the estimate's bound";
}

TEST_P(MethodContract, RejectsUnknownParametersBeforeFitting) {
  const auto& m = *GetParam();
  auto params = quickParams(m);
  params["definitely_not_a_parameter"] = 1;
  EXPECT_THROW(validateParams(m, params), ParamError);
  TargetBatch batch{1, 16, 8, std::vector<float>(16 * 8, 1.0f)};
  JobContext ctx;
  FitInputs inputs;
  inputs.kind = "K";
  EXPECT_THROW(makeCompressor(m.name)->fit(batch, params, inputs, "cpu", ctx), ParamError) << m.name;
}

TEST_P(MethodContract, RatioRequestsFitTheirBudget) {
  const auto& m = *GetParam();
  if (m.ratioParam.empty() || !m.param("ratio")) GTEST_SKIP() << m.name << " takes no ratio";
  const TargetShape shape{448, 8};
  for (double ratio : {1.5, 2.0, 3.0}) {
    const double bytes = estimateBytes(m, {{"ratio", ratio}}, shape);
    EXPECT_LE(bytes, shape.rawFloat16Bytes() / ratio) << m.name << " ratio " << ratio;
  }
  // A fit's effective parameters name the request and the solved value; as a request again
  // (the Compare view refitting a stored fit) they keep the solved one and validate.
  const nlohmann::json effective{{"ratio", 2.0}, {m.ratioParam, 3}};
  const auto request = withoutSolvedRequests(m, effective);
  EXPECT_EQ(request, (nlohmann::json{{m.ratioParam, 3}})) << m.name;
  EXPECT_NO_THROW(validateParams(m, request)) << m.name;
  EXPECT_THROW(validateParams(m, effective), ParamError) << m.name;
  // Time estimates (the sweep dialog's) read a ratio request solved like the bytes.
  EXPECT_TRUE(std::isfinite(estimateFitFlops(m, {{"ratio", 2.0}}, shape))) << m.name;
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredMethod, MethodContract, ::testing::ValuesIn(methodDescriptors()),
                         [](const auto& info) { return info.param->name; });

TEST(MethodDocs, SweepsMdTablesAreTheDescriptors) {
  const auto path = fs::path(KVWB_SOURCE_DIR) / "docs" / "SWEEPS.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string begin = "<!-- methods:begin -->\n", end = "<!-- methods:end -->";
  const auto from = text.find(begin), to = text.find(end);
  ASSERT_TRUE(from != std::string::npos && to != std::string::npos) << path << " lacks the method markers";
  std::ostringstream generated;
  writeMethodsMarkdown(generated);
  EXPECT_EQ(text.substr(from + begin.size(), to - from - begin.size()), generated.str())
      << "regenerate with: kvwb-cli methods --markdown";
  const auto json = methodsJson();
  ASSERT_EQ(json.size(), methodDescriptors().size());
  for (std::size_t i = 0; i < json.size(); ++i) EXPECT_EQ(json[i]["name"], methodDescriptors()[i]->name);
}
