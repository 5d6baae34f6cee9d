// "hybrid": keys and values by different methods (nerf-attention's proposal, e.g. SVD or SIREN keys
// + quantized values): params {"keys": {"method": "svd", ...}, "values": {"method": "quant", ...}};
// a batch of one kind (FitInputs::kind) goes to that kind's method. One thread per call.
#include <stdexcept>

#include "core/compress/compress_params.h"
#include "core/compress/methods.h"

namespace kvwb::core {
namespace {

// {"method": m, ...rest} -> (m, rest); `name` is "keys" or "values".
std::pair<std::string, nlohmann::json> splitMethod(const ParamReader& params,
                                                   const std::string& name, nlohmann::json spec) {
  const auto it = spec.find("method");
  if (it == spec.end() || !it->is_string()) params.fail(name, "needs a \"method\" string");
  const auto method = it->get<std::string>();
  if (method == "hybrid") params.fail(name, "cannot itself be hybrid");
  spec.erase("method");
  return {method, spec};
}

class HybridCompressor final : public Compressor {
 public:
  std::string method() const override { return "hybrid"; }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    ParamReader params(method(), json);
    const auto keys = splitMethod(params, "keys", params.object("keys"));
    const auto values = splitMethod(params, "values", params.object("values"));
    auto effective = params.finish();
    if (inputs.kind != "K" && inputs.kind != "V")
      throw std::invalid_argument("hybrid: needs a batch of one kind (inputs.kind K or V), got '" +
                                  inputs.kind + "'");
    const auto side = inputs.kind == "K" ? "keys" : "values";
    const auto& [name, sub] = inputs.kind == "K" ? keys : values;
    auto fit = makeCompressor(name)->fit(batch, sub, inputs, device, ctx);
    effective[side] = fit.effectiveParams;
    effective[side]["method"] = name;
    fit.effectiveParams = std::move(effective);
    return fit;
  }
};

}  // namespace

std::unique_ptr<Compressor> makeHybridCompressor() { return std::make_unique<HybridCompressor>(); }

}  // namespace kvwb::core
