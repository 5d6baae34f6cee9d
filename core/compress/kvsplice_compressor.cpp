// "kvsplice": learned low-rank compression with a monotonic transform (kvsplice seed) of each
// token's D-dim vector: coefficients = f(x) E ([T, r]), reconstruction = f^-1(coefficients Dec).
// Trained per target by Adam on the reconstruction MSE, all targets of a batch together.
#include <cmath>
#include <stdexcept>

#include "core/compress/batched_training.h"
#include "core/compress/methods.h"
#include "core/compress/monotonic_transform.h"

namespace kvwb::core {
namespace {

class KvspliceCompressor : public Compressor {
 public:
  std::string method() const override { return "kvsplice"; }

  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    const auto D = batch.d, T = batch.t;
    ParamReader reader(method(), json);
    const auto rank = reader.integer("rank", std::max<std::int64_t>(1, D / 2), 1, D);
    const auto terms = reader.integer("terms", 0, 0, 64);
    const auto opt = learned::readLearnedOptions(reader, 500, 1e-2, inputs.seed);
    auto effective = reader.finish();

    const torch::Device dev(device);
    auto fitGroup = [&](std::int64_t first, std::int64_t count, double base, double span) {
      const auto x = learned::targetsOn(batch, first, count, dev);
      auto scale = x.pow(2).mean({1, 2}, true).sqrt().clamp_min(1e-12);  // one RMS per target
      const auto xs = x / scale;
      auto gens = learned::targetGenerators(opt.seed, first, count);
      auto enc = torch::empty({count, D, rank}), dec = torch::empty({count, rank, D});
      learned::uniformPerTarget(enc, 1.0 / std::sqrt(static_cast<double>(D)), gens);  // nn.Linear's bound
      learned::uniformPerTarget(dec, 1.0 / std::sqrt(static_cast<double>(rank)), gens);
      enc = enc.to(dev).requires_grad_(true);
      dec = dec.to(dev).requires_grad_(true);
      const learned::MonotonicTransform transform(count, D, terms, dev);
      auto params = transform.parameters();
      params.push_back(enc);
      params.push_back(dec);
      learned::GroupFit g;
      g.lossCurves = learned::trainBatched(
          params,
          [&] {
            const auto coeffs = torch::bmm(transform.forward(xs), enc);
            return (transform.inverse(torch::bmm(coeffs, dec)) - xs).pow(2).mean({1, 2});
          },
          opt.train, ctx, base, span, "kvsplice targets " + std::to_string(first + 1) + "-" + std::to_string(first + count));
      torch::NoGradGuard noGrad;
      for (auto& p : params) p.copy_(opt.storage.round(p));
      scale = opt.storage.round(scale);
      const auto coeffs = opt.storage.round(torch::bmm(transform.forward(xs), enc));
      const DeviceTimer decode(dev);
      g.reconstruction = transform.inverse(torch::bmm(coeffs, dec)) * scale;
      g.decodeMs = decode.seconds() * 1e3;
      return g;
    };
    auto out = learned::fitInGroups(batch, opt, device, fitGroup);

    const double bpv = opt.storage.bytesPerValue;
    ByteLedger ledger;
    ledger.add("coefficients", static_cast<double>(T * rank) * bpv);
    ledger.add("basis", static_cast<double>(rank * D) * bpv);  // the decoder; the encoder is not needed
    ledger.add("transform", static_cast<double>(D * learned::MonotonicTransform::valuesPerDim(terms) + 1) * bpv);  // + the RMS scale
    for (auto& t : out.targets) t.bytes = ledger;
    out.effectiveParams = std::move(effective);
    return out;
  }
};

}  // namespace

std::unique_ptr<Compressor> makeKvspliceCompressor() { return std::make_unique<KvspliceCompressor>(); }

}  // namespace kvwb::core
