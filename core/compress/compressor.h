// The common compressor interface (DESIGN.md "Compressors"): a method fits a batch of targets
// (each T tokens x D dims, all the same shape) and returns, per target, the reconstruction, the
// byte ledger and the fit cost. Parameters are JSON (rank, bits, width, ...) declared by the
// method's descriptor (method_descriptor.h). Std-typed header: implementations keep LibTorch in
// their .cpp files (core/compress/methods/). One thread at a time per compressor.
//
//   auto svd = kvwb::core::makeCompressor("svd");
//   auto fits = svd->fit(batch, {{"rank", 4}}, ctx);     // batch: TargetBatch [N, T, D]
//   fits[0].reconstruction;  fits[0].bytes.total();
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/analysis/structure_kernels.h"  // TargetBatch
#include "core/base/job_context.h"
#include "core/compress/method_descriptor.h"

namespace kvwb::core {

// Everything needed to reconstruct, by item ("weights", "basis", "scales", "kept_tokens", ...),
// in bytes at the stated storage precision. Ratio = raw float16 bytes (T*D*2) / total.
struct ByteLedger {
  std::map<std::string, double> items;
  double total() const;
  void add(const std::string& item, double bytes) { items[item] += bytes; }
};

struct FitOutput {
  std::vector<float> reconstruction;  // [T, D] row-major; an evicted token's row is zero
  // Token eviction (docs/EVICTION.md): T flags, 1 = kept. Empty: every token kept.
  std::vector<std::uint8_t> kept;
  ByteLedger bytes;
  std::vector<float> lossCurve;       // per epoch / step where the method trains; else empty
  // This target's own effective parameters ({"method": ..., ...}) where targets of one batch
  // differ (an allocation); null: the batch's effectiveParams.
  nlohmann::json params;
};

struct BatchFit {
  std::vector<FitOutput> targets;  // one per batch target, in order
  double fitSeconds = 0;           // wall time of the whole batch fit
  double decodeMs = 0;             // wall time to reconstruct the whole batch from the representation
  std::string device;              // "cpu", "cuda:0"
  nlohmann::json effectiveParams;  // the parameters used, defaults filled in
};

// The rotary embedding of the capture the targets come from: what turns stored (post-RoPE) queries
// back into pre-RoPE ones. theta 0: unknown (an imported dump, or RoPE scaling not modelled).
struct RopeInfo {
  double theta = 0;
  bool interleaved = false;  // pairs (2p, 2p+1); else (p, p + D/2)
  bool known() const { return theta > 0; }
};

// Extra inputs some methods use: real queries for attention-driven methods (importance, Fourier
// dimension choice), aligned with the batch ([N, Hq_group * T, D] is not needed: one query block
// per target, [N, G, T, D] with G = query heads per KV head); a calibration batch for PCA.
struct FitInputs {
  const TargetBatch* queries = nullptr;  // n = N * G, t = T, d = D; target i owns rows [i*G, (i+1)*G)
  int queriesPerTarget = 0;
  const TargetBatch* calibration = nullptr;  // same targets on other tokens (PCA), optional
  // The keys the queries attend to, aligned with the batch ([N, T, D]), for attention-driven
  // methods on value targets (mixed precision importance, Fourier dimension choice). Unneeded
  // when kind is "K": the batch itself holds the keys then.
  const TargetBatch* keys = nullptr;
  const TargetBatch* values = nullptr;  // the values of each target's head, [N, T, D] (eviction)
  // Each target's layer (targets of one layer share an AdaKV budget); layer % layerCount is its
  // depth among the model's layerCount (PyramidKV; a quality batch stacks windows as layers).
  // Empty: unknown.
  std::vector<int> layers;
  int layerCount = 0;
  std::vector<int> heads;  // each target's KV head; empty: unknown
  std::string capture;     // the capture the targets come from; "": unknown
  RopeInfo rope;
  std::string kind;                          // "K" or "V" when every target has one kind, else ""
  std::uint64_t seed = 0;
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual const MethodDescriptor& descriptor() const = 0;
  const std::string& method() const { return descriptor().name; }
  // Throws ParamError for parameters that break the descriptor, Infeasible for valid ones this
  // batch's shape cannot meet.
  virtual BatchFit fit(const TargetBatch& batch, const nlohmann::json& params, const FitInputs& inputs,
                       const std::string& device, JobContext& ctx) = 0;
};

// A registered method (methodDescriptors() lists them). Throws std::invalid_argument for an
// unknown method, suggesting the closest name.
std::unique_ptr<Compressor> makeCompressor(const std::string& method);

}  // namespace kvwb::core
