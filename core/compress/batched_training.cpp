// Batched training loop, option parsing and fit driver shared by the learned compressors.
#include "core/compress/batched_training.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <numbers>

namespace kvwb::core::learned {

std::vector<ParamSpec> learnedParams(int defaultEpochs, double defaultLr) {
  return {integerParam("epochs", defaultEpochs, 1, 1000000, "Adam epochs"),
          numberParam("lr", defaultLr, 1e-12, 10, "learning rate at the start of the cosine schedule"),
          numberParam("lr_min", nullptr, 0, 10, "learning rate at the end (default lr / 100, at most lr)"),
          numberParam("early_stop", 0, 0, 1,
                      "stop a target when its loss has not dropped by this fraction of its best for `patience` epochs (0 = off)"),
          integerParam("patience", 100, 1, 1000000, "epochs without improvement before an early stop"),
          integerParam("batch_size", 0, 0, 1 << 30,
                       "targets per batched network (0 = auto: all on CUDA, one at a time on a CPU)"),
          booleanParam("batched", true, "train the targets as one batched network (false: one at a time)"),
          storageParam("float32")};
}

void checkLearnedParams(const std::string& method, const nlohmann::json& params) {
  if (params.contains("lr_min") && params["lr_min"].get<double>() > params.value("lr", 1e300))
    throw ParamError(method, "lr_min", "must be at most lr (" + shortNumber(params["lr"].get<double>()) + "), got " +
                                           params["lr_min"].dump());
}

LearnedOptions readLearnedOptions(ParamReader& params, std::uint64_t seed) {
  LearnedOptions o;
  o.seed = seed;
  params.setEffective("seed", seed);
  o.train.epochs = static_cast<int>(params.integer("epochs"));
  o.train.lr = params.number("lr");
  o.train.lrMin = params.number("lr_min", o.train.lr * 0.01);
  o.train.earlyStop = params.number("early_stop");
  o.train.patience = static_cast<int>(params.integer("patience"));
  o.batchSize = params.integer("batch_size");
  o.batched = params.boolean("batched");
  o.storage = readStorage(params);
  return o;
}

torch::Tensor targetsOn(const TargetBatch& batch, std::int64_t first, std::int64_t count,
                        const torch::Device& device) {
  const auto stride = batch.t * batch.d;
  return torch::from_blob(const_cast<float*>(batch.data.data()) + first * stride,
                          {count, batch.t, batch.d}, torch::kFloat32)
      .to(device, /*non_blocking*/ false, /*copy*/ true);
}

std::vector<torch::Generator> targetGenerators(std::uint64_t seed, std::int64_t first, std::int64_t count) {
  std::vector<torch::Generator> gens;
  for (std::int64_t i = first; i < first + count; ++i) {
    // splitmix64 of (seed, target index): independent streams per target.
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    gens.push_back(at::make_generator<at::CPUGeneratorImpl>(z ^ (z >> 31)));
  }
  return gens;
}

void uniformPerTarget(torch::Tensor& param, double bound, std::vector<torch::Generator>& gens) {
  for (std::int64_t i = 0; i < param.size(0); ++i) param[i].uniform_(-bound, bound, gens[i]);
}

std::vector<std::vector<float>> trainBatched(const std::vector<torch::Tensor>& params,
                                             const std::function<torch::Tensor()>& perTargetLoss,
                                             const TrainOptions& opt, JobContext& ctx, double base,
                                             double span, const std::string& what) {
  const auto n = params.front().size(0);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(opt.lr));
  auto& group = static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options());
  const auto curveDev = torch::empty({opt.epochs, n}, params.front().options().requires_grad(false));
  std::vector<std::vector<float>> curves(n);
  const bool earlyStop = opt.earlyStop > 0;
  std::vector<float> best(n, INFINITY);
  std::vector<int> sinceBest(n, 0);
  std::vector<int> stopEpoch(n, -1);
  std::int64_t running = n;
  std::vector<torch::Tensor> frozen;  // parameters of early-stopped targets at their stop epoch
  if (earlyStop)
    for (const auto& p : params) frozen.push_back(p.detach().clone());
  int epoch = 0;
  for (; epoch < opt.epochs && running > 0; ++epoch) {
    ctx.checkCancelled();
    adam.zero_grad();
    const auto loss = perTargetLoss();
    loss.sum().backward();
    adam.step();
    group.lr(opt.lrMin + (opt.lr - opt.lrMin) * 0.5 * (1 + std::cos(std::numbers::pi * (epoch + 1) / opt.epochs)));
    curveDev[epoch].copy_(loss.detach());
    if (earlyStop) {
      torch::NoGradGuard noGrad;
      const auto row = hostFloats(loss);
      std::vector<std::int64_t> stopped;
      for (std::int64_t i = 0; i < n; ++i) {
        if (stopEpoch[i] >= 0) continue;
        if (row[i] < best[i] * (1 - opt.earlyStop)) {
          best[i] = row[i];
          sinceBest[i] = 0;
        } else if (++sinceBest[i] >= opt.patience) {
          stopEpoch[i] = epoch;
          stopped.push_back(i);
        }
      }
      if (!stopped.empty()) {
        const auto idx = torch::tensor(stopped, torch::kLong).to(params.front().device());
        for (std::size_t p = 0; p < params.size(); ++p) frozen[p].index_copy_(0, idx, params[p].index_select(0, idx));
        running -= static_cast<std::int64_t>(stopped.size());
      }
    }
    ctx.report(base + span * (epoch + 1) / opt.epochs, what + ": epoch " + std::to_string(epoch + 1));
  }
  if (earlyStop) {
    torch::NoGradGuard noGrad;
    std::vector<std::int64_t> stopped;
    for (std::int64_t i = 0; i < n; ++i)
      if (stopEpoch[i] >= 0) stopped.push_back(i);
    if (!stopped.empty()) {
      const auto idx = torch::tensor(stopped, torch::kLong).to(params.front().device());
      for (std::size_t p = 0; p < params.size(); ++p) params[p].index_copy_(0, idx, frozen[p].index_select(0, idx));
    }
  }
  const auto all = hostFloats(curveDev.narrow(0, 0, epoch).t());
  for (std::int64_t i = 0; i < n; ++i) {
    const auto len = stopEpoch[i] >= 0 ? stopEpoch[i] + 1 : epoch;
    curves[i].assign(all.begin() + i * epoch, all.begin() + i * epoch + len);
  }
  return curves;
}

BatchFit fitInGroups(const TargetBatch& batch, const LearnedOptions& opt, const std::string& device,
                     const GroupFitter& fitGroup) {
  const DeviceTimer timer{torch::Device(device)};
  const std::int64_t autoSize = torch::Device(device).is_cuda() ? batch.n : 1;
  const std::int64_t groupSize = !opt.batched ? 1 : opt.batchSize > 0 ? opt.batchSize : autoSize;
  BatchFit out;
  out.device = device;
  out.targets.resize(batch.n);
  for (std::int64_t first = 0; first < batch.n; first += groupSize) {
    const auto count = std::min(groupSize, batch.n - first);
    auto g = fitGroup(first, count, static_cast<double>(first) / batch.n, static_cast<double>(count) / batch.n);
    const auto rec = hostFloats(g.reconstruction);
    const auto stride = batch.t * batch.d;
    for (std::int64_t i = 0; i < count; ++i) {
      auto& t = out.targets[first + i];
      t.reconstruction.assign(rec.begin() + i * stride, rec.begin() + (i + 1) * stride);
      t.lossCurve = std::move(g.lossCurves[i]);
    }
    out.decodeMs += g.decodeMs;
  }
  out.fitSeconds = timer.seconds();
  return out;
}

}  // namespace kvwb::core::learned
