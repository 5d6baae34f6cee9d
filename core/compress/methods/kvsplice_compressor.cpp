// "kvsplice": learned low-rank compression with a monotonic transform (kvsplice seed) of each
// token's D-dim vector: coefficients = f(x) E ([T, r]), reconstruction = f^-1(coefficients Dec).
// Trained per target by Adam on the reconstruction MSE, all targets of a batch together.
#include <cmath>
#include <stdexcept>

#include "core/compress/batched_training.h"
#include "core/compress/method_registry.h"
#include "core/compress/monotonic_transform.h"

namespace kvwb::core {
namespace {

// One target's ledger: the coefficients, the decoder basis (the encoder is not needed to decode)
// and the monotonic transform plus the target's RMS scale.
ByteLedger kvspliceLedger(std::int64_t T, std::int64_t D, std::int64_t rank, std::int64_t terms, double bpv) {
  ByteLedger ledger;
  ledger.add("coefficients", static_cast<double>(T * rank) * bpv);
  ledger.add("basis", static_cast<double>(rank * D) * bpv);
  ledger.add("transform", static_cast<double>(D * learned::MonotonicTransform::valuesPerDim(terms) + 1) * bpv);
  return ledger;
}

std::int64_t defaultRank(std::int64_t dims) { return std::max<std::int64_t>(1, dims / 2); }

const MethodDescriptor& kvspliceDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "kvsplice";
    m.family = MethodFamily::Learned;
    m.doc = "learned low-rank projection of each token through a monotonic transform (kvsplice); stores coefficients, the decoder basis and the transform";
    m.params = {integerParam("rank", nullptr, 1, 65536, "kept rank (default: half the head dim)"),
                integerParam("terms", 0, 0, 64, "extra terms of the monotonic transform per dim")};
    const auto learned = learned::learnedParams(500, 1e-2);
    m.params.insert(m.params.end(), learned.begin(), learned.end());
    m.defaultGrid = nlohmann::json::parse(R"({"rank": [2], "epochs": [300]})");
    m.check = [](const nlohmann::json& p) { learned::checkLearnedParams("kvsplice", p); };
    m.ratioParam = "rank";
    m.bytes = [](const nlohmann::json& p, const TargetShape& s) {
      const auto rank = p.contains("rank") ? p.at("rank").get<std::int64_t>() : defaultRank(s.dims);
      return kvspliceLedger(s.tokens, s.dims, rank, p.at("terms").get<std::int64_t>(), bytesPerValue(p)).total();
    };
    m.fitFlops = [](const nlohmann::json& p, const TargetShape& s) {
      const double rank = p.contains("rank") ? p.at("rank").get<double>() : static_cast<double>(defaultRank(s.dims));
      // forward + backward of encode and decode per epoch
      return 3 * 4.0 * static_cast<double>(s.tokens) * static_cast<double>(s.dims) * rank * p.at("epochs").get<double>();
    };
    // The inverse transform is elementwise and nonlinear, so attention cannot stay in the rank-r
    // domain: a decode step decodes each row (coefficients x basis, 2 r D), inverts the transform
    // (affine without terms; else 30 bisection steps of the forward, ~3 + 4 terms ops each),
    // rescales, and attends to it.
    m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
      const auto rank = p.contains("rank") ? p.at("rank").get<std::int64_t>() : defaultRank(s.dims);
      const auto terms = p.at("terms").get<std::int64_t>();
      const double values = static_cast<double>(s.context) * static_cast<double>(s.dims);
      const double decode = 2 * values * static_cast<double>(rank);
      const double inverse = values * (terms == 0 ? 2.0 : 30.0 * (3 + 4 * static_cast<double>(terms))) + values;
      const double bytes = kvspliceLedger(s.context, s.dims, rank, terms, bytesPerValue(p)).total();
      return reconstructedDecodeCost(s, bytes, decode, inverse);
    };
    return m;
  }();
  return d;
}

class KvspliceCompressor : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return kvspliceDescriptor(); }

  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    const auto D = batch.d, T = batch.t;
    ParamReader reader(descriptor(), json);
    const auto rank = reader.integer("rank", defaultRank(D));
    if (rank > D) reader.infeasible("rank", "exceeds the target's " + std::to_string(D) + " dims");
    const auto terms = reader.integer("terms");
    const auto opt = learned::readLearnedOptions(reader, inputs.seed);
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

    const auto ledger = kvspliceLedger(T, D, rank, terms, opt.storage.bytesPerValue);
    for (auto& t : out.targets) t.bytes = ledger;
    out.effectiveParams = std::move(effective);
    return out;
  }
};

}  // namespace

MethodEntry kvspliceMethod() { return methodEntry<KvspliceCompressor>(kvspliceDescriptor); }

}  // namespace kvwb::core
