// Low-rank linear compressors: truncated SVD ("svd"), calibrated PCA ("pca") and orthogonal random
// projection ("random_projection"). Each target becomes [mean +] coefficients x basis^T; every
// stored factor is rounded to the storage precision before reconstruction. One thread per call.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/method_registry.h"

namespace kvwb::core {
namespace {

// "rank" or "ratio", exactly one (a oneOf group): size parameters of every low-rank method.
std::vector<ParamSpec> lowRankParams(const std::string& storageDefault) {
  auto rank = integerParam("rank", nullptr, 1, 65536, "kept rank (at most the target's rank)");
  auto ratio = numberParam("ratio", nullptr, 1, 1e9,
                           "target compression ratio vs raw float16: the largest rank that fits");
  rank.oneOf = ratio.oneOf = "size";
  return {rank, ratio, storageParam(storageDefault)};
}

// The rank of a fit: "rank" as given, or the largest rank in [1, maxRank] whose bytes fit "ratio".
// A rank or ratio this shape cannot meet is Infeasible.
std::int64_t readRank(ParamReader& params, const MethodDescriptor& method, const TargetShape& shape,
                      std::int64_t maxRank) {
  if (const auto rank = params.optionalInteger("rank")) {
    if (*rank > maxRank)
      params.infeasible("rank", "exceeds the largest rank of this target, " + std::to_string(maxRank));
    return *rank;
  }
  const double ratio = *params.optionalNumber("ratio");
  const auto storage = params.choice("storage");
  const auto rank = solveForRatio(method, {{"storage", storage}}, shape, ratio, maxRank);
  if (!rank) {
    const double one = method.bytes({{"rank", 1}, {"storage", storage}}, shape);
    params.infeasible("ratio", "is out of reach: rank 1 takes " + shortNumber(one) + " bytes, ratio " +
                                   shortNumber(shape.rawFloat16Bytes() / one));
  }
  params.setEffective("rank", *rank);
  return *rank;
}

// SVD of a T x D matrix (Golub-Kahan, T >= D: about 4 T D^2 + 8 D^3), either orientation.
double svdFlops(double t, double d) {
  const double lo = std::min(t, d), hi = std::max(t, d);
  return 4 * hi * lo * lo + 8 * lo * lo * lo;
}

double rankOf(const nlohmann::json& p) { return p.at("rank").get<double>(); }

// One decode step on low-rank factors (coefficients [L, r], basis [D, r]) without reconstruction:
// keys: the query through the basis (2 G D r) then against the coefficients (2 G L r); values:
// the probabilities through the coefficients then the basis, the same work. PCA's mean adds
// q . mean to every score, or (sum of p) mean to the output. reconstruct: the L x D product.
DecodeCost lowRankDecodeCost(const DecodeShape& s, double rank, double bytes, bool hasMean) {
  const double L = static_cast<double>(s.context), D = static_cast<double>(s.dims),
               G = static_cast<double>(s.queryGroup);
  if (s.reconstruct) return reconstructedDecodeCost(s, bytes, 2 * L * D * rank, hasMean ? L * D : 0);
  DecodeCost cost{bytes, 2 * G * rank * (L + D), 0};
  if (hasMean) cost.flops += 2 * G * D, cost.elementwiseOps += G * L;
  return cost;
}

// coefficients [N, T, r] x basis [N|1, D, r]^T, plus mean [N, 1, D] when defined.
torch::Tensor lowRankDecode(const torch::Tensor& coefficients, const torch::Tensor& basis,
                            const torch::Tensor& mean) {
  auto recon = torch::matmul(coefficients, basis.transpose(1, 2));
  return mean.defined() ? recon + mean : recon;
}

// Byte and FLOP estimates of one low-rank method; every one of them declares rank or ratio and the
// storage precision, solves a ratio for the rank, and decodes from its factors.
using Estimate = std::function<double(const nlohmann::json& params, const TargetShape& shape)>;
MethodDescriptor lowRankDescriptor(std::string name, std::string doc, const char* grid, Estimate bytes,
                                   Estimate fitFlops) {
  MethodDescriptor m;
  m.name = std::move(name);
  m.family = MethodFamily::LowRank;
  m.doc = std::move(doc);
  m.params = lowRankParams("float16");
  m.defaultGrid = nlohmann::json::parse(grid);
  m.ratioParam = "rank";
  m.bytes = std::move(bytes);
  m.fitFlops = std::move(fitFlops);
  return m;
}

const MethodDescriptor& svdDescriptor() {
  static const MethodDescriptor d = [] {
    auto m = lowRankDescriptor(
        "svd", "truncated SVD of the T x D target; stores U [T,r], S [r], V [D,r]", R"({"rank": [1, 2, 4]})",
        [](const nlohmann::json& p, const TargetShape& s) {
          return (static_cast<double>(s.tokens) + static_cast<double>(s.dims) + 1) * rankOf(p) * bytesPerValue(p);
        },
        [](const nlohmann::json&, const TargetShape& s) {
          return svdFlops(static_cast<double>(s.tokens), static_cast<double>(s.dims));
        });
    m.decodeCost = [bytes = m.bytes](const nlohmann::json& p, const DecodeShape& s) {
      return lowRankDecodeCost(s, rankOf(p), bytes(p, {s.context, s.dims}), false);
    };
    return m;
  }();
  return d;
}

const MethodDescriptor& pcaDescriptor() {
  static const MethodDescriptor d = [] {
    auto m = lowRankDescriptor(
        "pca",
        "PCA calibrated on the capture's tokens after the window (else the target); stores mean [D], basis [D,r], "
        "coefficients [T,r]",
        R"({"rank": [1, 2, 4]})",
        [](const nlohmann::json& p, const TargetShape& s) {
          const double t = static_cast<double>(s.tokens), dims = static_cast<double>(s.dims);
          return (dims + (dims + t) * rankOf(p)) * bytesPerValue(p);
        },
        [](const nlohmann::json& p, const TargetShape& s) {
          const double t = static_cast<double>(s.tokens), dims = static_cast<double>(s.dims);
          return svdFlops(t, dims) + 2 * t * dims * rankOf(p);
        });
    m.needs.calibration = true;
    m.decodeCost = [bytes = m.bytes](const nlohmann::json& p, const DecodeShape& s) {
      return lowRankDecodeCost(s, rankOf(p), bytes(p, {s.context, s.dims}), true);
    };
    return m;
  }();
  return d;
}

const MethodDescriptor& randomProjectionDescriptor() {
  static const MethodDescriptor d = [] {
    auto m = lowRankDescriptor(
        "random_projection",
        "orthogonal random projection on a seeded basis, no calibration; stores coefficients [T,r] and an 8-byte seed",
        R"({"rank": [2, 4]})",
        [](const nlohmann::json& p, const TargetShape& s) {
          return static_cast<double>(s.tokens) * rankOf(p) * bytesPerValue(p) + 8;  // + the seed
        },
        [](const nlohmann::json& p, const TargetShape& s) {
          return 2.0 * static_cast<double>(s.tokens) * static_cast<double>(s.dims) * rankOf(p);
        });
    m.params.push_back(integerParam("seed", nullptr, 0, 9.2e18, "basis seed (default: derived from the sweep seed and job)"));
    // Decoding reads the basis [D, r], kept resident: regenerating it from the seed every step
    // would cost a QR factorisation.
    m.decodeCost = [bytes = m.bytes](const nlohmann::json& p, const DecodeShape& s) {
      const double basis = static_cast<double>(s.dims) * rankOf(p) * bytesPerValue(p);
      return lowRankDecodeCost(s, rankOf(p), bytes(p, {s.context, s.dims}) + basis, false);
    };
    return m;
  }();
  return d;
}

class SvdCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return svdDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs&,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(descriptor(), json);
    const auto storage = readStorage(params);
    const auto T = batch.t, D = batch.d;
    const auto r = readRank(params, descriptor(), {T, D}, std::min(T, D));
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto [u, s, vh] = at::linalg_svd(start.x, false);
    const auto U = storage.round(u.narrow(2, 0, r));
    const auto S = storage.round(s.narrow(1, 0, r));
    const auto V = storage.round(vh.narrow(1, 0, r).transpose(1, 2));
    const double fitSeconds = start.fitTimer.seconds();
    const DeviceTimer decodeTimer(dev);
    const auto recon = lowRankDecode(U * S.unsqueeze(1), V, {});
    const double decodeMs = decodeTimer.seconds() * 1e3;
    ByteLedger ledger;
    ledger.add("U", T * r * storage.bytesPerValue);
    ledger.add("S", r * storage.bytesPerValue);
    ledger.add("V", D * r * storage.bytesPerValue);
    ctx.report(1.0, "svd");
    return assembleBatchFit(recon, {ledger}, fitSeconds, decodeMs, device, effective);
  }
};

class PcaCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return pcaDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    const auto* calibration = inputs.calibration;
    if (calibration) {
      checkBatch(*calibration, method(), "inputs.calibration");
      if (calibration->n != batch.n || calibration->d != batch.d)
        throw std::invalid_argument("pca: inputs.calibration must hold the batch's " +
                                    std::to_string(batch.n) + " targets of " +
                                    std::to_string(batch.d) + " dims");
    }
    ParamReader params(descriptor(), json);
    const auto storage = readStorage(params);
    const auto T = batch.t, D = batch.d;
    const auto calibrationTokens = calibration ? calibration->t : T;
    const auto r = readRank(params, descriptor(), {T, D}, std::min(D, calibrationTokens));
    params.setEffective("calibration", calibration ? "inputs" : "self");
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& x = start.x;
    const auto c = calibration ? batchTensor(*calibration, dev) : x;
    const auto mean = storage.round(c.mean(1, true));
    const auto vh = std::get<2>(at::linalg_svd(c - mean, false));
    const auto basis = storage.round(vh.narrow(1, 0, r).transpose(1, 2));  // [N, D, r]
    const auto coefficients = storage.round(torch::matmul(x - mean, basis));
    const double fitSeconds = start.fitTimer.seconds();
    const DeviceTimer decodeTimer(dev);
    const auto recon = lowRankDecode(coefficients, basis, mean);
    const double decodeMs = decodeTimer.seconds() * 1e3;
    ByteLedger ledger;
    ledger.add("mean", D * storage.bytesPerValue);
    ledger.add("basis", D * r * storage.bytesPerValue);
    ledger.add("coefficients", T * r * storage.bytesPerValue);
    ctx.report(1.0, "pca");
    return assembleBatchFit(recon, {ledger}, fitSeconds, decodeMs, device, effective);
  }
};

// The [D, r] orthonormal basis of a seed: Q of the reduced QR of a D x r standard Gaussian matrix
// drawn with mt19937_64 and Box-Muller (both fully specified, so the seed alone regenerates it).
torch::Tensor seededOrthogonalBasis(std::uint64_t seed, std::int64_t d, std::int64_t r) {
  std::mt19937_64 engine(seed);
  const auto gaussian = torch::empty({d, r}, torch::kFloat64);
  auto* g = gaussian.data_ptr<double>();
  constexpr double kTwoPi = 6.283185307179586;
  for (std::int64_t i = 0; i < d * r; i += 2) {
    const double u1 = (static_cast<double>(engine() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(engine() >> 11) * 0x1.0p-53;          // [0, 1)
    const double radius = std::sqrt(-2.0 * std::log(u1));
    g[i] = radius * std::cos(kTwoPi * u2);
    if (i + 1 < d * r) g[i + 1] = radius * std::sin(kTwoPi * u2);
  }
  return std::get<0>(at::linalg_qr(gaussian, "reduced")).to(torch::kFloat32);
}

class RandomProjectionCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return randomProjectionDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(descriptor(), json);
    const auto storage = readStorage(params);
    const auto seed = static_cast<std::uint64_t>(
        params.integer("seed", static_cast<std::int64_t>(inputs.seed & 0x7fffffffffffffffULL)));
    const auto T = batch.t, D = batch.d;
    const auto r = readRank(params, descriptor(), {T, D}, D);
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto basis = seededOrthogonalBasis(seed, D, r).to(dev).unsqueeze(0);
    const auto coefficients = storage.round(torch::matmul(start.x, basis));
    const double fitSeconds = start.fitTimer.seconds();
    // Decoding regenerates the basis from the seed: that is part of its cost.
    const DeviceTimer decodeTimer(dev);
    const auto recon =
        lowRankDecode(coefficients, seededOrthogonalBasis(seed, D, r).to(dev).unsqueeze(0), {});
    const double decodeMs = decodeTimer.seconds() * 1e3;
    ByteLedger ledger;
    ledger.add("coefficients", T * r * storage.bytesPerValue);
    ledger.add("seed_regenerates_basis", 8);
    ctx.report(1.0, "random_projection");
    return assembleBatchFit(recon, {ledger}, fitSeconds, decodeMs, device, effective);
  }
};

}  // namespace

MethodEntry svdMethod() { return methodEntry<SvdCompressor>(svdDescriptor); }
MethodEntry pcaMethod() { return methodEntry<PcaCompressor>(pcaDescriptor); }
MethodEntry randomProjectionMethod() {
  return methodEntry<RandomProjectionCompressor>(randomProjectionDescriptor);
}

}  // namespace kvwb::core
