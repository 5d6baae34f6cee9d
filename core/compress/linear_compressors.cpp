// Low-rank linear compressors: truncated SVD ("svd"), calibrated PCA ("pca") and orthogonal random
// projection ("random_projection"). Each target becomes [mean +] coefficients x basis^T; every
// stored factor is rounded to the storage precision before reconstruction. One thread per call.
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/methods.h"

namespace kvwb::core {
namespace {

// Parameter "rank", or "ratio" (target compression vs raw float16): the largest rank r in
// [1, maxRank] with fixedBytes + r * bytesPerRank <= raw / ratio. Exactly one of the two.
std::int64_t readRank(ParamReader& params, std::int64_t maxRank, double fixedBytes,
                      double bytesPerRank, double rawBytes) {
  if (params.has("rank") == params.has("ratio"))
    params.fail("rank", "or 'ratio' is required (one of them)");
  if (const auto rank = params.optionalInteger("rank", 1, maxRank)) return *rank;
  const double ratio = *params.optionalNumber("ratio", 1.0, 1e9);
  const auto fit = std::floor((rawBytes / ratio - fixedBytes) / bytesPerRank);
  if (fit < 1)
    params.fail("ratio", "is out of reach: rank 1 takes " + shortNumber(fixedBytes + bytesPerRank) +
                             " bytes, ratio " + shortNumber(rawBytes / (fixedBytes + bytesPerRank)));
  const auto rank = std::min<std::int64_t>(maxRank, static_cast<std::int64_t>(fit));
  params.setEffective("rank", rank);
  return rank;
}

// coefficients [N, T, r] x basis [N|1, D, r]^T, plus mean [N, 1, D] when defined.
torch::Tensor lowRankDecode(const torch::Tensor& coefficients, const torch::Tensor& basis,
                            const torch::Tensor& mean) {
  auto recon = torch::matmul(coefficients, basis.transpose(1, 2));
  return mean.defined() ? recon + mean : recon;
}

class SvdCompressor final : public Compressor {
 public:
  std::string method() const override { return "svd"; }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs&,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(method(), json);
    const auto storage = readStorage(params);
    const auto T = batch.t, D = batch.d;
    const auto r = readRank(params, std::min(T, D), 0, (T + D + 1) * storage.bytesPerValue,
                            rawFloat16Bytes(batch));
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto [u, s, vh] = at::linalg_svd(x, false);
    const auto U = storage.round(u.narrow(2, 0, r));
    const auto S = storage.round(s.narrow(1, 0, r));
    const auto V = storage.round(vh.narrow(1, 0, r).transpose(1, 2));
    const double fitSeconds = fitTimer.seconds();
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
  std::string method() const override { return "pca"; }
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
    ParamReader params(method(), json);
    const auto storage = readStorage(params);
    const auto T = batch.t, D = batch.d;
    const auto calibrationTokens = calibration ? calibration->t : T;
    const auto r = readRank(params, std::min(D, calibrationTokens), D * storage.bytesPerValue,
                            (D + T) * storage.bytesPerValue, rawFloat16Bytes(batch));
    params.setEffective("calibration", calibration ? "inputs" : "self");
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto c = calibration ? batchTensor(*calibration, dev) : x;
    const auto mean = storage.round(c.mean(1, true));
    const auto vh = std::get<2>(at::linalg_svd(c - mean, false));
    const auto basis = storage.round(vh.narrow(1, 0, r).transpose(1, 2));  // [N, D, r]
    const auto coefficients = storage.round(torch::matmul(x - mean, basis));
    const double fitSeconds = fitTimer.seconds();
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
  std::string method() const override { return "random_projection"; }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(method(), json);
    const auto storage = readStorage(params);
    const auto seed = static_cast<std::uint64_t>(
        params.integer("seed", static_cast<std::int64_t>(inputs.seed & 0x7fffffffffffffffULL), 0,
                       std::numeric_limits<std::int64_t>::max()));
    const auto T = batch.t, D = batch.d;
    const auto r = readRank(params, D, 8, T * storage.bytesPerValue, rawFloat16Bytes(batch));
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto basis = seededOrthogonalBasis(seed, D, r).to(dev).unsqueeze(0);
    const auto coefficients = storage.round(torch::matmul(x, basis));
    const double fitSeconds = fitTimer.seconds();
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

std::unique_ptr<Compressor> makeSvdCompressor() { return std::make_unique<SvdCompressor>(); }
std::unique_ptr<Compressor> makePcaCompressor() { return std::make_unique<PcaCompressor>(); }
std::unique_ptr<Compressor> makeRandomProjectionCompressor() {
  return std::make_unique<RandomProjectionCompressor>();
}

}  // namespace kvwb::core
