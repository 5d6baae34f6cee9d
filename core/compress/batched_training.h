// Private to the learned compressors (siren, kvsplice): N independent per-target networks trained
// as one batch (every parameter leads with the target axis), their option parsing and the fit
// driver. Includes LibTorch: include only from .cpp files. One thread at a time per call.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/compress/compress_common.h"
#include "core/compress/compressor.h"

namespace kvwb::core::learned {

struct TrainOptions {
  int epochs = 0;
  double lr = 0, lrMin = 0;  // cosine-annealed from lr to lrMin over the epochs (the seed's schedule)
  double earlyStop = 0;      // stop a target when its loss has not dropped by this fraction ...
  int patience = 100;        // ... of its best for this many epochs; 0 = off
};

// Options every learned method shares, read from its JSON parameters.
struct LearnedOptions {
  TrainOptions train;
  bool batched = true;        // false: one network at a time (the seed's loop)
  // Targets per batched network; 0 = auto: all of them on CUDA, one at a time on the CPU, where
  // one network already keeps the cores busy and larger groups measured 0.5-1.0x as fast
  // (bench_siren, bench/RESULTS.md).
  std::int64_t batchSize = 0;
  std::uint64_t seed = 0;
  Storage storage;            // float32 unless "storage" says otherwise (the seed's choice)
};

// The parameters every learned method declares (epochs, lr, lr_min, early_stop, patience,
// batch_size, batched, storage), with the method's default epochs and learning rate, and the rule
// between them (lr_min <= lr) for MethodDescriptor::check.
std::vector<ParamSpec> learnedParams(int defaultEpochs, double defaultLr);
void checkLearnedParams(const std::string& method, const nlohmann::json& params);
// Reads those parameters (defaults recorded as effective) and records `seed`.
LearnedOptions readLearnedOptions(ParamReader& params, std::uint64_t seed);

// Targets [first, first + count) of `batch` as a float32 [count, T, D] tensor on `device`.
torch::Tensor targetsOn(const TargetBatch& batch, std::int64_t first, std::int64_t count,
                        const torch::Device& device);

// Reproducible per-target initialisation: target `index` of the whole batch draws all its
// parameters, in order, from its own generator, so its initial weights do not depend on how the
// targets are grouped (batched or one at a time). `param` is a CPU tensor [count, ...].
std::vector<torch::Generator> targetGenerators(std::uint64_t seed, std::int64_t first, std::int64_t count);
void uniformPerTarget(torch::Tensor& param, double bound, std::vector<torch::Generator>& gens);

// Adam over `params` (leaves [n, ...]) minimising the sum over targets of perTargetLoss() ([n]),
// so each target's gradient is its own loss's. Records every target's loss every epoch; a target
// that stops early keeps the parameters of its stopping epoch. Checks cancellation once per epoch
// and reports progress in [base, base + span]. Returns the loss curves, one per target.
std::vector<std::vector<float>> trainBatched(const std::vector<torch::Tensor>& params,
                                             const std::function<torch::Tensor()>& perTargetLoss,
                                             const TrainOptions& opt, JobContext& ctx, double base,
                                             double span, const std::string& what);

// One group's fit: reconstructions [count, T, D] (any device), curves, and the time to decode.
struct GroupFit {
  torch::Tensor reconstruction;
  std::vector<std::vector<float>> lossCurves;
  double decodeMs = 0;
};
using GroupFitter = std::function<GroupFit(std::int64_t first, std::int64_t count, double base,
                                           double span)>;

// Fits every target of `batch` in groups (batchSize at a time when batched, else one
// at a time), timing the whole; fills reconstructions, curves, fitSeconds, decodeMs, device.
BatchFit fitInGroups(const TargetBatch& batch, const LearnedOptions& opt, const std::string& device,
                     const GroupFitter& fitGroup);

}  // namespace kvwb::core::learned
