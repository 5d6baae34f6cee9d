// The token-eviction methods (docs/EVICTION.md): streaming, h2o, tova, snapkv, knorm,
// expected_attention and random. Each keeps a budget of tokens per target (uniform, PyramidKV per
// layer or AdaKV per head) exactly, at the storage precision or compressed further by a nested
// method (`then`), and records which it kept; scores read only the target's own prefix.
// One thread per call.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/eviction_rules.h"
#include "core/compress/method_registry.h"
#include "core/compress/query_attention.h"

namespace kvwb::core {
namespace {

enum class Rule { Streaming, H2o, Tova, SnapKv, KNorm, ExpectedAttention, Random };

struct RuleInfo {
  Rule rule;
  const char* name;
  const char* doc;
  std::int64_t sinks;  // default
  double window;       // default share of the budget for the recent window; < 0: not declared
  bool queries;        // needs the real queries
  bool scored;         // has per-token scores (AdaKV can share a layer's budget by them)
};

constexpr RuleInfo kRules[] = {
    {Rule::Streaming, "streaming", "StreamingLLM: the first `sinks` tokens and the most recent ones", 4, -1, false, false},
    {Rule::H2o, "h2o", "H2O heavy hitters: attention accumulated from every prefix query, plus a recent window", 0, 0.5, true, true},
    {Rule::Tova, "tova", "TOVA: token by token, drop the cached token the current query attends to least", 0, -1, true, false},
    {Rule::SnapKv, "snapkv", "SnapKV: attention from the last `observe` queries, pooled; the observation window is kept", 0, -1, true, true},
    {Rule::KNorm, "knorm", "keep the tokens with the smallest key norms", 0, 0, false, true},
    {Rule::ExpectedAttention, "expected_attention", "Expected Attention (kvpress): attention expected from a Gaussian of future queries (prefix query statistics, RoPE), times the value norm", 4, 0, true, true},
    {Rule::Random, "random", "uniformly random tokens (the baseline), seeded", 0, 0, false, true},
};

// The token budget of a T-token target from keep_ratio or budget (a ratio request is solved for
// the budget first: by the fit, and by estimateBytes / estimateFitFlops / estimateDecodeCost).
std::int64_t budgetTokens(const nlohmann::json& p, std::int64_t T) {
  if (p.contains("keep_ratio"))
    return std::clamp<std::int64_t>(std::lround(p.at("keep_ratio").get<double>() * static_cast<double>(T)), 1, T);
  return std::min<std::int64_t>(p.at("budget").get<std::int64_t>(), T);
}

std::pair<const MethodDescriptor*, nlohmann::json> nestedMethod(nlohmann::json spec) {
  const auto* method = &methodDescriptor(spec.at("method").get<std::string>());
  spec.erase("method");
  return {method, spec};
}

// One target's bytes: n kept rows (stored, or as the nested method stores an n x D target) and
// their positions.
double evictionBytes(const nlohmann::json& p, const TargetShape& s) {
  const auto n = budgetTokens(p, s.tokens);
  const double rows = p.contains("then") ? [&] {
    const auto [method, params] = nestedMethod(p.at("then"));
    return estimateBytes(*method, params, {n, s.dims});
  }() : static_cast<double>(n * s.dims) * bytesPerValue(p);
  return rows + keptIndexBytes(n, s.tokens);
}

MethodDescriptor makeDescriptor(const RuleInfo& r) {
  MethodDescriptor m;
  m.name = r.name;
  m.family = MethodFamily::Eviction;
  m.doc = r.doc;
  auto keep = numberParam("keep_ratio", nullptr, 1e-9, 1, "share of the target's tokens kept");
  auto budget = integerParam("budget", nullptr, 1, 1 << 30, "tokens kept per target");
  auto ratio = numberParam("ratio", nullptr, 1, 1e9, "target compression ratio vs raw float16: the largest budget that fits");
  keep.oneOf = budget.oneOf = ratio.oneOf = "size";
  m.params = {keep, budget, ratio, integerParam("sinks", r.sinks, 0, 1 << 30, "first tokens always kept (attention sinks)")};
  if (r.window >= 0)
    m.params.push_back(numberParam("window", r.window, 0, 1, "share of the budget kept as the most recent tokens"));
  if (r.rule == Rule::SnapKv) {
    m.params.push_back(integerParam("observe", 32, 1, 1 << 30, "observation window: the last queries that score, and are kept"));
    m.params.push_back(integerParam("kernel", 5, 1, 1025, "pooling kernel along the tokens (odd)"));
    m.params.push_back(choiceParam("pooling", "avg", {"avg", "max"}, "pooling of the observation scores"));
  }
  if (r.rule == Rule::ExpectedAttention) {
    m.params.push_back(integerParam("future", 512, 1, 1 << 24, "future positions whose rotations the query model averages"));
    m.params.push_back(booleanParam("covariance", true, "use the queries' covariance, not only their mean"));
    m.params.push_back(booleanParam("vnorm", true, "weight scores by the value norm"));
  }
  m.params.push_back(choiceParam("allocation", "uniform",
                                 r.scored ? std::vector<nlohmann::json>{"uniform", "pyramid", "adakv"}
                                          : std::vector<nlohmann::json>{"uniform", "pyramid"},
                                 "budgets across the cache: equal, PyramidKV per layer, AdaKV per head"));
  m.params.push_back(numberParam("beta", nullptr, 1, 1e6, "pyramid: the top layer keeps budget / beta (default 20)"));
  m.params.push_back(numberParam("floor", nullptr, 0, 1, "adakv: share of the budget each head keeps at least (default 0.2)"));
  m.params.push_back(storageParam("float16"));
  auto then = methodParam("then", "optional: compress the kept rows further, e.g. {\"method\": \"quant\", \"bits\": 4, \"axis\": \"kivi\"}");
  then.required = false;
  m.params.push_back(then);
  m.defaultGrid = nlohmann::json::parse(R"({"keep_ratio": [0.5, 0.25, 0.125]})");
  m.needs.queries = r.queries;
  m.ratioParam = "budget";
  m.bytes = evictionBytes;
  m.fitFlops = [r](const nlohmann::json& p, const TargetShape& s) {
    const double T = static_cast<double>(s.tokens), D = static_cast<double>(s.dims);
    const double n = static_cast<double>(budgetTokens(p, s.tokens));
    return r.rule == Rule::Tova ? 2 * T * n * D : r.queries ? 4 * T * T * D : 4 * T * D;
  };
  // A decode step reads the kept rows (dense, or through the nested method) and their positions.
  // Reconstructed: the full L x D cache with evicted rows masked, as masked implementations run
  // it (they free no memory), plus the scatter of the kept rows into it.
  m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
    if (s.reconstruct)
      return reconstructedDecodeCost(s, evictionBytes(p, {s.context, s.dims}), 0,
                                     static_cast<double>(s.context * s.dims));
    auto kept = s;
    kept.context = budgetTokens(p, s.context);
    DecodeCost cost;
    if (p.contains("then")) {
      const auto [method, params] = nestedMethod(p.at("then"));
      cost = estimateDecodeCost(*method, params, kept);
    } else {
      cost = denseDecodeCost(kept, bytesPerValue(p));
    }
    cost.bytes += keptIndexBytes(kept.context, s.context);
    return cost;
  };
  m.check = [name = std::string(r.name)](const nlohmann::json& p) {
    if (p.contains("kernel") && p.at("kernel").get<std::int64_t>() % 2 == 0)
      throw ParamError(name, "kernel", "must be odd, got " + p.at("kernel").dump());
    const auto allocation = p.value("allocation", std::string("uniform"));
    if (p.contains("beta") && allocation != "pyramid")
      throw ParamError(name, "beta", "applies to allocation \"pyramid\" only");
    if (p.contains("floor") && allocation != "adakv")
      throw ParamError(name, "floor", "applies to allocation \"adakv\" only");
    if (!p.contains("then")) return;
    const auto& inner = methodDescriptor(p.at("then").at("method").get<std::string>());
    if (inner.family == MethodFamily::Eviction)
      throw ParamError(name, "then", "cannot be another eviction method");
    if (inner.needs.queries || inner.needs.calibration || inner.needs.model)
      throw ParamError(name, "then", "'" + inner.name + "' needs inputs (queries, calibration) that the kept rows do not line up with");
  };
  return m;
}

template <Rule R>
const MethodDescriptor& evictionDescriptor() {
  static const MethodDescriptor d = makeDescriptor(*std::find_if(
      std::begin(kRules), std::end(kRules), [](const RuleInfo& r) { return r.rule == R; }));
  return d;
}


// The inputs of the scoring rules, float64 on the device: keys and values from the batch or
// FitInputs (a K batch is its own keys, a V batch its own values), the queries when given.
EvictionInputs evictionInputs(const TargetBatch& batch, const torch::Tensor& x, const FitInputs& inputs,
                              const torch::Device& dev, const std::string& method) {
  const auto side = [&](const TargetBatch* given, const char* kind) -> torch::Tensor {
    if (inputs.kind == kind) return x.to(torch::kFloat64);
    if (!given) return {};
    checkBatch(*given, method, std::string("inputs.") + (kind[0] == 'K' ? "keys" : "values"));
    if (given->n != batch.n || given->t != batch.t || given->d != batch.d)
      throw std::invalid_argument(method + ": inputs do not match the batch's shape");
    return batchTensor(*given, dev).to(torch::kFloat64);
  };
  EvictionInputs in{side(inputs.keys, "K"), side(inputs.values, "V"), {}};
  if (const auto q = queriesOf(batch, inputs, dev, method)) in.queries = q->to(torch::kFloat64);
  return in;
}

// The fit of the kept rows: stored at `storage`, or each group of targets with one budget fitted
// as a [targets, kept, D] batch by the nested method; evicted rows reconstruct as zeros.
BatchFit keptFit(const TargetBatch& batch, const FitStart& start, const std::vector<KeepMask>& kept,
                 const Storage& storage, const std::optional<nlohmann::json>& then,
                 nlohmann::json effective, const FitInputs& inputs, const std::string& device,
                 JobContext& ctx) {
  const auto N = batch.n, T = batch.t, D = batch.d;
  const auto rowsOf = [&](std::int64_t i) {
    return static_cast<std::int64_t>(std::count(kept[i].begin(), kept[i].end(), 1));
  };
  BatchFit fit;
  fit.targets.resize(N);
  fit.device = device;
  for (std::int64_t i = 0; i < N; ++i) {
    fit.targets[i].kept = kept[i];
    fit.targets[i].reconstruction.assign(static_cast<std::size_t>(T * D), 0.0f);
    fit.targets[i].bytes.add("kept_indices", keptIndexBytes(rowsOf(i), T));
  }
  // Row j of target i's kept rows, in order, from `rows` ([kept, D]) into its reconstruction.
  const auto place = [&](std::int64_t i, const float* rows) {
    for (std::int64_t j = 0; j < T; ++j)
      if (kept[i][j]) std::copy_n(rows, D, fit.targets[i].reconstruction.begin() + j * D), rows += D;
  };
  if (!then) {
    const auto stored = hostFloats(storage.round(start.x));
    fit.fitSeconds = start.fitTimer.seconds();
    const DeviceTimer decodeTimer(start.dev);
    for (std::int64_t i = 0; i < N; ++i) {
      std::vector<float> rows;
      for (std::int64_t j = 0; j < T; ++j)
        if (kept[i][j]) rows.insert(rows.end(), stored.begin() + (i * T + j) * D, stored.begin() + (i * T + j + 1) * D);
      place(i, rows.data());
      fit.targets[i].bytes.add("kept_rows", static_cast<double>(rowsOf(i) * D) * storage.bytesPerValue);
    }
    fit.decodeMs = decodeTimer.seconds() * 1e3;
    fit.effectiveParams = std::move(effective);
    return fit;
  }
  const auto [method, sub] = nestedMethod(*then);
  auto nested = makeCompressor(method->name);
  std::map<std::int64_t, std::vector<std::int64_t>> byCount;  // targets with one budget fit together
  for (std::int64_t i = 0; i < N; ++i) byCount[rowsOf(i)].push_back(i);
  for (const auto& [count, members] : byCount) {
    TargetBatch rows{static_cast<std::int64_t>(members.size()), count, D, {}};
    for (const auto i : members)
      for (std::int64_t j = 0; j < T; ++j)
        if (kept[i][j]) rows.data.insert(rows.data.end(), batch.data.begin() + (i * T + j) * D, batch.data.begin() + (i * T + j + 1) * D);
    FitInputs rowInputs;
    rowInputs.kind = inputs.kind;
    rowInputs.seed = inputs.seed;
    auto part = nested->fit(rows, sub, rowInputs, device, ctx);
    for (std::size_t k = 0; k < members.size(); ++k) {
      place(members[k], part.targets[k].reconstruction.data());
      for (const auto& [item, bytes] : part.targets[k].bytes.items) fit.targets[members[k]].bytes.add(item, bytes);
    }
    fit.decodeMs += part.decodeMs;
    effective["then"] = part.effectiveParams;
    effective["then"]["method"] = method->name;
  }
  fit.fitSeconds = start.fitTimer.seconds();
  fit.effectiveParams = std::move(effective);
  return fit;
}

template <Rule R>
class EvictionCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return evictionDescriptor<R>(); }

  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    const auto N = batch.n, T = batch.t, D = batch.d;
    ParamReader params(descriptor(), json);
    const auto storage = readStorage(params);
    const auto then = params.has("then") ? std::optional(params.object("then")) : std::nullopt;
    const auto n = budget(params, T, D, storage, then);
    const auto sinks = params.integer("sinks");
    const double window = descriptor().param("window") ? params.number("window") : 0.0;
    const auto allocation = params.choice("allocation");
    const auto budgets = targetBudgets(params, allocation, n, T, N, inputs);
    const auto effective = readRuleParams(params);
    const FitStart start(batch, device, ctx);
    const auto in = evictionInputs(batch, start.x, inputs, start.dev, method());
    std::vector<KeepMask> forced;
    for (std::int64_t i = 0; i < N; ++i) {
      const auto ni = budgets[i];
      const auto recent = R == Rule::Streaming ? ni - std::min(sinks, ni)
                          : R == Rule::SnapKv  ? m_observe
                                               : static_cast<std::int64_t>(std::floor(window * ni));
      forced.push_back(forcedTokens(T, ni, sinks, recent));
    }
    ctx.checkCancelled();
    const auto kept = keptSets(in, budgets, forced, allocation, params, inputs);
    ctx.checkCancelled();
    return keptFit(batch, start, kept, storage, then, effective, inputs, device, ctx);
  }

 private:
  // The per-target budget n from keep_ratio, budget, or a ratio solved for the budget.
  std::int64_t budget(ParamReader& params, std::int64_t T, std::int64_t D, const Storage& storage,
                      const std::optional<nlohmann::json>& then) {
    if (const auto r = params.optionalNumber("keep_ratio")) return budgetTokens({{"keep_ratio", *r}}, T);
    if (const auto b = params.optionalInteger("budget")) return std::min<std::int64_t>(*b, T);
    const double ratio = *params.optionalNumber("ratio");
    nlohmann::json probe{{"storage", storage.name}};
    if (then) probe["then"] = *then;
    const auto solved = solveForRatio(descriptor(), probe, {T, D}, ratio, T);
    if (!solved)
      params.infeasible("ratio", "is out of reach: one kept token takes " +
                                     shortNumber(evictionBytes({{"budget", 1}, {"storage", storage.name}}, {T, D})) + " bytes");
    params.setEffective("budget", *solved);
    return *solved;
  }

  std::vector<std::int64_t> targetBudgets(ParamReader& params, const std::string& allocation,
                                          std::int64_t n, std::int64_t T, std::int64_t N,
                                          const FitInputs& inputs) {
    if (allocation == "adakv") params.setEffective("floor", m_floor = params.number("floor", 0.2));
    if (allocation != "pyramid") return std::vector<std::int64_t>(N, n);
    const double beta = params.number("beta", 20.0);
    params.setEffective("beta", beta);
    if (static_cast<std::int64_t>(inputs.layers.size()) != N || inputs.layerCount < 1)
      params.infeasible("allocation", "\"pyramid\" needs each target's layer");
    const auto perLayer = pyramidBudgets(n, inputs.layerCount, beta, T);
    std::vector<std::int64_t> out;
    for (const int l : inputs.layers) out.push_back(perLayer.at(static_cast<std::size_t>(l % inputs.layerCount)));
    return out;
  }

  nlohmann::json readRuleParams(ParamReader& params) {
    if constexpr (R == Rule::SnapKv) {
      m_observe = params.integer("observe");
      m_kernel = params.integer("kernel");
      m_maxPool = params.choice("pooling") == "max";
    }
    if constexpr (R == Rule::ExpectedAttention) {
      m_expected.future = params.integer("future");
      m_expected.covariance = params.boolean("covariance");
      m_expected.vnorm = params.boolean("vnorm");
    }
    return params.finish();
  }

  torch::Tensor scores(const EvictionInputs& in, std::uint64_t seed, std::int64_t sinks,
                       const RopeInfo& rope) {
    switch (R) {
      case Rule::H2o: return h2oScores(in);
      case Rule::SnapKv: return snapkvScores(in, m_observe, m_kernel, m_maxPool);
      case Rule::KNorm: return knormScores(in);
      case Rule::ExpectedAttention: {
        auto o = m_expected;
        o.sinks = sinks;
        o.rope = rope;
        return expectedAttentionScores(in, o);
      }
      default: {  // Random
        const auto ref = in.keys.defined() ? in.keys : in.values;
        auto gen = std::mt19937_64(seed ^ 0x6576696374ULL);
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        auto host = torch::empty({ref.size(0), ref.size(1)}, torch::kFloat64);
        for (std::int64_t k = 0; k < host.numel(); ++k) host.data_ptr<double>()[k] = uniform(gen);
        return host;
      }
    }
  }

  std::vector<KeepMask> keptSets(const EvictionInputs& in, const std::vector<std::int64_t>& budgets,
                                 const std::vector<KeepMask>& forced, const std::string& allocation,
                                 ParamReader& params, const FitInputs& inputs) {
    if (R == Rule::Streaming) return forced;
    if (R == Rule::Tova) return tovaKeep(in, budgets, forced);
    if ((R == Rule::KNorm || R == Rule::H2o || R == Rule::SnapKv) && !in.keys.defined())
      throw std::invalid_argument(method() + ": needs inputs.keys for a batch of values");
    if (R == Rule::ExpectedAttention && m_expected.vnorm && !in.values.defined())
      throw std::invalid_argument(method() + ": needs inputs.values for a batch of keys");
    const auto rows = hostRows(scores(in, inputs.seed, params.integer("sinks"), inputs.rope));
    std::vector<KeepMask> kept(rows.size());
    if (allocation != "adakv") {
      for (std::size_t i = 0; i < rows.size(); ++i) kept[i] = keepTopScores(rows[i], forced[i], budgets[i]);
      return kept;
    }
    if (inputs.layers.size() != rows.size()) params.infeasible("allocation", "\"adakv\" needs each target's layer");
    for (const int layer : std::set<int>(inputs.layers.begin(), inputs.layers.end())) {
      std::vector<std::size_t> members;
      std::vector<std::vector<double>> s;
      std::vector<KeepMask> f;
      for (std::size_t i = 0; i < rows.size(); ++i)
        if (inputs.layers[i] == layer) members.push_back(i), s.push_back(rows[i]), f.push_back(forced[i]);
      const auto layerKept = adakvKeep(s, f, budgets[members.front()], m_floor);
      for (std::size_t k = 0; k < members.size(); ++k) kept[members[k]] = layerKept[k];
    }
    return kept;
  }

  double m_floor = 0.2;
  std::int64_t m_observe = 0, m_kernel = 1;
  bool m_maxPool = false;
  ExpectedAttentionOptions m_expected;
};

}  // namespace
}  // namespace kvwb::core

namespace kvwb::core {

MethodEntry streamingMethod() { return methodEntry<EvictionCompressor<Rule::Streaming>>(evictionDescriptor<Rule::Streaming>); }
MethodEntry h2oMethod() { return methodEntry<EvictionCompressor<Rule::H2o>>(evictionDescriptor<Rule::H2o>); }
MethodEntry tovaMethod() { return methodEntry<EvictionCompressor<Rule::Tova>>(evictionDescriptor<Rule::Tova>); }
MethodEntry snapkvMethod() { return methodEntry<EvictionCompressor<Rule::SnapKv>>(evictionDescriptor<Rule::SnapKv>); }
MethodEntry knormMethod() { return methodEntry<EvictionCompressor<Rule::KNorm>>(evictionDescriptor<Rule::KNorm>); }
MethodEntry expectedAttentionMethod() {
  return methodEntry<EvictionCompressor<Rule::ExpectedAttention>>(evictionDescriptor<Rule::ExpectedAttention>);
}
MethodEntry randomEvictionMethod() { return methodEntry<EvictionCompressor<Rule::Random>>(evictionDescriptor<Rule::Random>); }

}  // namespace kvwb::core
