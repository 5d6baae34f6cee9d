// "allocation": a method per target, as `kvwb-cli allocate` chose them under a byte budget
// (docs/ALLOCATION.md): params {"assignment": [{"capture", "layer", "head", "kind", "method", ...},
// ...], "label": "..."}. A batch's targets are grouped by their assigned option; each group is one
// fit of its method, with the group's slice of the queries, keys, values and calibration; every
// target's row then carries its own method and effective parameters. One job of it is the whole
// allocation, so its Δ perplexity and windowed model quality measure the allocation itself.
// No torch here: the nested methods keep theirs. One thread per call.
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "core/compress/compress_params.h"
#include "core/compress/method_registry.h"

namespace kvwb::core {
namespace {

// An assignment entry's method spec, {"method": m, ...parameters}, without the target fields.
nlohmann::json entryMethod(nlohmann::json entry) {
  for (const char* field : {"capture", "layer", "head", "kind"}) entry.erase(field);
  return entry;
}

// The sum and count of `estimate` over the assignment's entries of `kind` ("" = all): one target's
// expected cost when every target of a job has an entry.
template <typename T, typename Estimate>
std::pair<T, double> sumOverEntries(const nlohmann::json& params, const std::string& kind, Estimate estimate) {
  T sum{};
  double count = 0;
  for (const auto& entry : params.at("assignment")) {
    if (!kind.empty() && entry.at("kind") != kind) continue;
    auto spec = entryMethod(entry);
    const auto& method = methodDescriptor(spec.at("method").get<std::string>());
    spec.erase("method");
    sum += estimate(method, spec);
    ++count;
  }
  return std::pair{sum, count};
}

const MethodDescriptor& allocationDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "allocation";
    m.family = MethodFamily::Hybrid;
    m.generated = true;
    m.doc = "a method per target, as `kvwb-cli allocate` chose them under a byte budget; stores what each target's method stores";
    m.params = {assignmentParam("assignment", "per target: {\"capture\", \"layer\", \"head\", \"kind\", \"method\", ...its parameters}"),
                textParam("label", "which allocation this is, for tables: \"optimal attn_kl 4x\"")};
    m.needs.oneKind = true;
    m.needs.queries = true;  // when an assigned method uses them
    m.bytes = [](const nlohmann::json& p, const TargetShape& s) {
      const auto [sum, n] = sumOverEntries<double>(p, "", [&](const MethodDescriptor& method, const nlohmann::json& params) {
        return estimateBytes(method, params, s);
      });
      return sum / n;
    };
    m.fitFlops = [](const nlohmann::json& p, const TargetShape& s) {
      const auto [sum, n] = sumOverEntries<double>(p, "", [&](const MethodDescriptor& method, const nlohmann::json& params) {
        return estimateFitFlops(method, params, s);
      });
      return sum / n;
    };
    m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
      const auto [sum, n] = sumOverEntries<DecodeCost>(p, s.kind == KvKind::Keys ? "K" : "V",
                                            [&](const MethodDescriptor& method, const nlohmann::json& params) {
                                              return estimateDecodeCost(method, params, s);
                                            });
      const double nan = std::nan("");
      return n > 0 ? DecodeCost{sum.bytes / n, sum.flops / n, sum.elementwiseOps / n} : DecodeCost{nan, nan, nan};
    };
    return m;
  }();
  return d;
}

// Rows [first * rows, (first + 1) * rows) of each of `targets` from a batch, as a new batch.
TargetBatch pick(const TargetBatch& batch, const std::vector<std::size_t>& targets, std::int64_t rowsPerTarget) {
  TargetBatch out{0, batch.t, batch.d, {}};
  const auto block = static_cast<std::size_t>(rowsPerTarget * batch.t * batch.d);
  for (const auto i : targets) {
    const auto from = batch.data.begin() + static_cast<std::ptrdiff_t>(i * block);
    out.data.insert(out.data.end(), from, from + static_cast<std::ptrdiff_t>(block));
    out.n += rowsPerTarget;
  }
  return out;
}

class AllocationCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return allocationDescriptor(); }

  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    ParamReader params(descriptor(), json);
    const auto assignment = params.object("assignment");
    params.choice("label");
    auto effective = params.finish();
    const auto n = static_cast<std::size_t>(batch.n);
    if ((inputs.kind != "K" && inputs.kind != "V") || inputs.layers.size() != n || inputs.heads.size() != n)
      throw std::invalid_argument("allocation: needs every target's layer, head and kind (FitInputs)");

    // Each target's option: the entry for its capture, else one that names no capture.
    std::map<std::tuple<std::string, int, int>, const nlohmann::json*> entries;
    for (const auto& e : assignment)
      if (e.at("kind") == inputs.kind)
        entries[{e.value("capture", std::string()), e.at("layer").get<int>(), e.at("head").get<int>()}] = &e;
    std::map<std::string, std::vector<std::size_t>> groups;  // option (its JSON) -> targets
    std::vector<std::string> order;
    for (std::size_t i = 0; i < n; ++i) {
      const int layer = inputs.layerCount > 0 ? inputs.layers[i] % inputs.layerCount : inputs.layers[i];
      auto it = entries.find({inputs.capture, layer, inputs.heads[i]});
      if (it == entries.end()) it = entries.find({std::string(), layer, inputs.heads[i]});
      if (it == entries.end())
        throw Infeasible("allocation: no method assigned to " + (inputs.capture.empty() ? "" : inputs.capture + " ") +
                         "layer " + std::to_string(layer) + " head " + std::to_string(inputs.heads[i]) + " " +
                         inputs.kind);
      const auto option = entryMethod(*it->second).dump();
      if (!groups.contains(option)) order.push_back(option);
      groups[option].push_back(i);
    }

    BatchFit out;
    out.targets.resize(n);
    double done = 0;
    for (const auto& option : order) {
      const auto& members = groups[option];
      auto spec = nlohmann::json::parse(option);
      const std::string method = spec.at("method").get<std::string>();
      spec.erase("method");
      const auto share = static_cast<double>(members.size()) / static_cast<double>(n);
      SubJobContext part(ctx, done, share, method + ": ");
      done += share;

      const TargetBatch targets = pick(batch, members, 1);
      const auto slice = [&](const TargetBatch* b, std::int64_t rows) {
        return b && b->n > 0 ? std::optional(pick(*b, members, rows)) : std::nullopt;
      };
      const auto queries = slice(inputs.queries, inputs.queriesPerTarget);
      const auto keys = slice(inputs.keys, 1), values = slice(inputs.values, 1), calibration = slice(inputs.calibration, 1);
      FitInputs sub = inputs;
      sub.queries = queries ? &*queries : nullptr;
      sub.keys = keys ? &*keys : nullptr;
      sub.values = values ? &*values : nullptr;
      sub.calibration = calibration ? &*calibration : nullptr;
      sub.layers.clear();
      sub.heads.clear();
      for (const auto i : members) sub.layers.push_back(inputs.layers[i]), sub.heads.push_back(inputs.heads[i]);

      auto fit = makeCompressor(method)->fit(targets, spec, sub, device, part);
      out.fitSeconds += fit.fitSeconds;
      out.decodeMs += fit.decodeMs;
      if (out.device.empty()) out.device = fit.device;
      for (std::size_t j = 0; j < members.size(); ++j) {
        auto& target = fit.targets[j];
        if (!target.params.is_object()) target.params = fit.effectiveParams;
        target.params["method"] = method;
        out.targets[members[j]] = std::move(target);
      }
    }
    out.effectiveParams = std::move(effective);
    return out;
  }
};

}  // namespace

MethodEntry allocationMethod() { return methodEntry<AllocationCompressor>(allocationDescriptor); }

}  // namespace kvwb::core
