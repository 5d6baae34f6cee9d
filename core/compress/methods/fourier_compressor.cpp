// "fourier": token-axis Fourier truncation after FourierAttention. The first `sink` and last
// `recent` tokens are kept as stored values; the middle keeps its lowest `coeffs` rFFT bins per
// dim (orthonormal transform, so coefficients stay in float16 range); `exact_dims` dims are kept
// whole, chosen by how much the truncation would cost in that dim. One thread per call.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/method_registry.h"
#include "core/compress/query_attention.h"

namespace kvwb::core {
namespace {

// Per-dim cost [N, D] of the truncation residual `delta` [N, T, D] (zero outside the middle):
// kind K with queries: sum over query heads and positions i of q_id^2 * sum_{j<=i} delta_jd^2
//   (the squared score change, causal);
// kind V with queries and keys: || causal attention @ delta_d ||^2 (the attention-output change);
// otherwise: sum_j delta_jd^2 (the energy the truncation loses).
torch::Tensor dimCost(const torch::Tensor& delta, const TargetBatch& batch, const torch::Tensor& x,
                      const FitInputs& inputs, const torch::Device& dev, std::string& criterion) {
  if (inputs.kind == "K") {
    if (const auto queries = queriesOf(batch, inputs, dev, "fourier")) {
      criterion = "query_weighted_score_change";
      const auto seen = delta.pow(2).cumsum(1).unsqueeze(1);  // [N, 1, T, D]
      return (queries->pow(2) * seen).sum({1, 2});
    }
  }
  if (inputs.kind == "V") {
    if (const auto qk = queryKeysOf(batch, x, inputs, dev, "fourier")) {
      criterion = "attention_output_change";
      auto cost = torch::zeros({x.size(0), x.size(2)}, x.options());
      forEachAttentionBlock(*qk, [&](std::int64_t, const torch::Tensor& probs) {
        cost += torch::matmul(probs, delta.unsqueeze(1)).pow(2).sum({1, 2});
      });
      return cost;
    }
  }
  criterion = "residual_energy";
  return delta.pow(2).sum(1);
}

// Real values stored for the lowest `kept` of the bins of an rFFT of length m: the DC bin and,
// for even m, the Nyquist bin have no imaginary part.
std::int64_t coefficientValues(std::int64_t kept, std::int64_t m) {
  if (kept == 0) return 0;
  const bool nyquist = m % 2 == 0 && kept == m / 2 + 1;
  return 2 * kept - 1 - (nyquist ? 1 : 0);
}

// The `m` middle tokens from their lowest bins [N, kept, dims] (all zero when none are kept).
torch::Tensor lowPassTokens(const torch::Tensor& bins, std::int64_t m) {
  if (bins.size(1) == 0)
    return torch::zeros({bins.size(0), m, bins.size(2)}, torch::real(bins).options());
  return torch::fft::irfft(bins, m, 1, "ortho");
}

// The token split of a T-token target: sink and recent clamped to the target (one sweep serves
// captures of different lengths), the middle's rFFT bins and the kept ones among them.
struct FourierSplit {
  std::int64_t sink, recent, middle, coeffs;
};
FourierSplit fourierSplit(std::int64_t T, std::int64_t sink, std::int64_t recent, std::int64_t coeffs) {
  FourierSplit s;
  s.sink = std::min(T, sink);
  s.recent = std::min(T - s.sink, recent);
  s.middle = T - s.sink - s.recent;
  const auto bins = s.middle > 0 ? s.middle / 2 + 1 : 0;
  s.coeffs = std::min(bins, coeffs);
  return s;
}

// Ledger items of one target (kept_tokens, coefficients, kept_dims, dim_indices).
ByteLedger fourierLedger(const FourierSplit& s, std::int64_t T, std::int64_t D, std::int64_t exactDims,
                         double bytesPerValue) {
  ByteLedger ledger;
  const double b = bytesPerValue;
  ledger.add("kept_tokens", static_cast<double>(s.sink + s.recent) * (D - exactDims) * b);
  ledger.add("coefficients", static_cast<double>(coefficientValues(s.coeffs, s.middle)) * (D - exactDims) * b);
  ledger.add("kept_dims", static_cast<double>(T) * exactDims * b);
  ledger.add("dim_indices", exactDims * (D <= 256 ? 1.0 : 2.0));
  return ledger;
}

// FLOPs of a real FFT of length n (the usual 2.5 n log2 n estimate).
double realFftFlops(std::int64_t n) {
  return n > 1 ? 2.5 * static_cast<double>(n) * std::log2(static_cast<double>(n)) : 0;
}

// One decode step in the frequency domain. The middle tokens of a truncated dim are a linear
// function of its bins, so keys: the query against the bins of every dim (2 G values D'), then
// one inverse FFT per query gives the middle scores; values: one FFT of each query's middle
// probabilities, then against the bins. Kept tokens and exact dims are dense. reconstruct: one
// inverse FFT per truncated dim.
DecodeCost fourierDecodeCost(const nlohmann::json& p, const DecodeShape& shape) {
  const auto exact = p.at("exact_dims").get<std::int64_t>();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (exact > shape.dims) return {nan, nan, nan};
  const auto split = fourierSplit(shape.context, p.at("sink").get<std::int64_t>(),
                                  p.at("recent").get<std::int64_t>(), p.at("coeffs").get<std::int64_t>());
  const double bytes = fourierLedger(split, shape.context, shape.dims, exact, bytesPerValue(p)).total();
  const double G = static_cast<double>(shape.queryGroup), truncated = static_cast<double>(shape.dims - exact);
  if (shape.reconstruct) return reconstructedDecodeCost(shape, bytes, truncated * realFftFlops(split.middle), 0);
  const double kept = static_cast<double>(split.sink + split.recent),
               values = static_cast<double>(coefficientValues(split.coeffs, split.middle));
  return {bytes,
          2 * G * (kept * truncated + static_cast<double>(shape.context * exact) + values * truncated) +
              G * realFftFlops(split.middle),
          0};
}

const MethodDescriptor& fourierDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "fourier";
    m.family = MethodFamily::Spectral;
    m.doc = "token-axis Fourier truncation with sink and recent tokens kept (FourierAttention); stores kept tokens, complex coefficients, exact dims and their indices";
    auto coeffs = integerParam("coeffs", nullptr, 0, 1 << 30, "lowest rFFT bins kept per dim of the middle tokens");
    coeffs.required = true;
    m.params = {coeffs,
                integerParam("sink", 4, 0, 1 << 30, "first tokens kept exactly (attention sinks)"),
                integerParam("recent", 32, 0, 1 << 30, "last tokens kept exactly"),
                integerParam("exact_dims", 0, 0, 1 << 16,
                             "dims kept whole, chosen by their truncation cost (with the real queries where given)"),
                storageParam("float16")};
    m.defaultGrid = nlohmann::json::parse(R"({"coeffs": [32, 96], "sink": [4], "recent": [32]})");
    m.needs.queries = true;
    m.ratioParam = "coeffs";
    m.bytes = [](const nlohmann::json& p, const TargetShape& shape) {
      const auto exact = p.at("exact_dims").get<std::int64_t>();
      if (exact > shape.dims) return std::numeric_limits<double>::quiet_NaN();
      const auto split = fourierSplit(shape.tokens, p.at("sink").get<std::int64_t>(), p.at("recent").get<std::int64_t>(),
                                      p.at("coeffs").get<std::int64_t>());
      return fourierLedger(split, shape.tokens, shape.dims, exact, bytesPerValue(p)).total();
    };
    m.fitFlops = [](const nlohmann::json&, const TargetShape& s) {
      const double t = static_cast<double>(s.tokens), dims = static_cast<double>(s.dims);
      return 10.0 * t * dims * std::log2(std::max(2.0, t));  // forward + inverse FFT, costs
    };
    m.decodeCost = fourierDecodeCost;
    return m;
  }();
  return d;
}

class FourierCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return fourierDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    const auto N = batch.n, T = batch.t, D = batch.d;
    ParamReader params(descriptor(), json);
    const auto storage = readStorage(params);
    const auto split = fourierSplit(T, params.integer("sink"), params.integer("recent"),
                                    *params.optionalInteger("coeffs"));
    const auto [sink, recent, middle, coeffs] = split;
    const auto exactDims = params.integer("exact_dims");
    if (exactDims > D) params.infeasible("exact_dims", "exceeds the target's " + std::to_string(D) + " dims");
    params.setEffective("sink", sink);
    params.setEffective("recent", recent);
    params.setEffective("coeffs", coeffs);
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto stored = storage.round(x);
    // Middle: lowest bins, each part rounded to the storage precision.
    const auto bandLimited =
        middle > 0 ? torch::fft::rfft(x.narrow(1, sink, middle), c10::nullopt, 1, "ortho")
                         .narrow(1, 0, coeffs)
                   : torch::zeros({N, 0, D}, x.options().dtype(torch::kComplexFloat));
    const auto spectrum = torch::complex(storage.round(torch::real(bandLimited)),
                                         storage.round(torch::imag(bandLimited)));
    const auto lowPass = lowPassTokens(spectrum, middle);
    // Dims by descending truncation cost: the first exactDims are kept whole.
    std::string criterion;
    const auto delta =
        torch::cat({torch::zeros({N, sink, D}, x.options()), x.narrow(1, sink, middle) - lowPass,
                    torch::zeros({N, recent, D}, x.options())},
                   1);
    const auto order = dimCost(delta, batch, x, inputs, dev, criterion).argsort(1, true);
    params.setEffective("dim_selection", criterion);
    const auto effective = params.finish();
    const auto exactIdx = order.narrow(1, 0, exactDims),
               truncIdx = order.narrow(1, exactDims, D - exactDims);
    const auto columns = [&](const torch::Tensor& t, const torch::Tensor& idx) {
      return t.gather(2, idx.unsqueeze(1).expand({N, t.size(1), idx.size(1)}));
    };
    // The representation: exact dims, kept tokens and coefficients of the other dims.
    const auto exactColumns = columns(stored, exactIdx);
    const auto head = columns(stored.narrow(1, 0, sink), truncIdx);
    const auto tail = columns(stored.narrow(1, T - recent, recent), truncIdx);
    const auto coefficients = columns(spectrum, truncIdx);
    const double fitSeconds = fitTimer.seconds();

    const DeviceTimer decodeTimer(dev);
    auto recon = torch::empty({N, T, D}, x.options());
    recon.scatter_(2, truncIdx.unsqueeze(1).expand({N, T, D - exactDims}),
                   torch::cat({head, lowPassTokens(coefficients, middle), tail}, 1));
    recon.scatter_(2, exactIdx.unsqueeze(1).expand({N, T, exactDims}), exactColumns);
    const double decodeMs = decodeTimer.seconds() * 1e3;

    const auto ledger = fourierLedger(split, T, D, exactDims, storage.bytesPerValue);
    ctx.report(1.0, "fourier");
    return assembleBatchFit(recon, {ledger}, fitSeconds, decodeMs, device, effective);
  }
};

}  // namespace

MethodEntry fourierMethod() { return methodEntry<FourierCompressor>(fourierDescriptor); }

}  // namespace kvwb::core
