// "hybrid": keys and values by different methods (nerf-attention's proposal, e.g. SVD or SIREN keys
// + quantized values): params {"keys": {"method": "svd", ...}, "values": {"method": "quant", ...}};
// a batch of one kind (FitInputs::kind) goes to that kind's method. One thread per call.
#include <cmath>
#include <stdexcept>

#include "core/compress/compress_params.h"
#include "core/compress/method_registry.h"

namespace kvwb::core {
namespace {

// {"method": m, ...rest} -> (m's descriptor, rest), validated when the hybrid's were.
std::pair<const MethodDescriptor*, nlohmann::json> splitMethod(nlohmann::json spec) {
  const auto* method = &methodDescriptor(spec.at("method").get<std::string>());
  spec.erase("method");
  return {method, spec};
}

const MethodDescriptor& hybridDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "hybrid";
    m.family = MethodFamily::Hybrid;
    m.doc = "keys and values by different methods (nerf-attention's proposal), e.g. SVD keys + quantised values; stores what each method stores";
    m.params = {methodParam("keys", "the keys' method: {\"method\": \"svd\", \"rank\": 2}"),
                methodParam("values", "the values' method: {\"method\": \"quant\", \"bits\": 4}")};
    m.defaultGrid = nlohmann::json::parse(R"({"keys": [{"method": "svd", "rank": 2}],
                                              "values": [{"method": "quant", "bits": 4}]})");
    m.needs.oneKind = true;
    // One target's cost: the mean of its key and value methods' (a target is one or the other).
    const auto mean = [](auto estimate) {
      return [estimate](const nlohmann::json& p, const TargetShape& s) {
        double sum = 0;
        for (const char* side : {"keys", "values"}) {
          const auto [method, params] = splitMethod(p.at(side));
          sum += estimate(*method, params, s);
        }
        return sum / 2;
      };
    };
    m.bytes = mean(estimateBytes);
    m.fitFlops = mean(estimateFitFlops);
    // A decode step reads each kind through its own method.
    m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
      const auto [method, params] = splitMethod(p.at(s.kind == KvKind::Keys ? "keys" : "values"));
      return estimateDecodeCost(*method, params, s);
    };
    m.needs.queries = true;  // when either side's method uses them
    return m;
  }();
  return d;
}

class HybridCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return hybridDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    ParamReader params(descriptor(), json);
    const auto keys = splitMethod(params.object("keys"));
    const auto values = splitMethod(params.object("values"));
    auto effective = params.finish();
    if (inputs.kind != "K" && inputs.kind != "V")
      throw std::invalid_argument("hybrid: needs a batch of one kind (inputs.kind K or V), got '" +
                                  inputs.kind + "'");
    const auto side = inputs.kind == "K" ? "keys" : "values";
    const auto& [method, sub] = inputs.kind == "K" ? keys : values;
    auto fit = makeCompressor(method->name)->fit(batch, sub, inputs, device, ctx);
    effective[side] = fit.effectiveParams;
    effective[side]["method"] = method->name;
    fit.effectiveParams = std::move(effective);
    return fit;
  }
};

}  // namespace

MethodEntry hybridMethod() { return methodEntry<HybridCompressor>(hybridDescriptor); }

}  // namespace kvwb::core
