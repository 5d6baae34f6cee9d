// Shared compressor plumbing (see compress_common.h).
#include "core/compress/compress_common.h"

#include <stdexcept>

namespace kvwb::core {

void checkBatch(const TargetBatch& batch, const std::string& method, const std::string& what) {
  if (batch.n <= 0 || batch.t <= 0 || batch.d <= 0)
    throw std::invalid_argument(method + ": " + what + " is empty (n=" + std::to_string(batch.n) +
                                ", t=" + std::to_string(batch.t) +
                                ", d=" + std::to_string(batch.d) + ")");
  if (static_cast<std::int64_t>(batch.data.size()) != batch.n * batch.t * batch.d)
    throw std::invalid_argument(
        method + ": " + what + " holds " + std::to_string(batch.data.size()) +
        " values, not n*t*d = " + std::to_string(batch.n * batch.t * batch.d));
}

torch::Tensor batchTensor(const TargetBatch& batch, const torch::Device& device) {
  const auto host = torch::from_blob(const_cast<float*>(batch.data.data()),
                                     {batch.n, batch.t, batch.d}, torch::kFloat32);
  return device.is_cpu() ? host.clone() : host.to(device);
}

std::vector<float> hostFloats(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

double rawFloat16Bytes(const TargetBatch& batch) { return 2.0 * batch.t * batch.d; }

ParamSpec storageParam(const std::string& fallback) {
  return choiceParam("storage", fallback, {"float16", "float32"},
                     "precision the representation's values are stored at");
}

double bytesPerValue(const nlohmann::json& params) {
  return params.at("storage") == "float32" ? 4.0 : 2.0;
}

Storage readStorage(ParamReader& params) {
  if (params.choice("storage") == "float32")
    return {"float32", 4, torch::kFloat32};
  return {"float16", 2, torch::kFloat16};
}

namespace {
void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}
}  // namespace

DeviceTimer::DeviceTimer(const torch::Device& device) : m_device(device) {
  synchronize(m_device);
  m_start = std::chrono::steady_clock::now();
}

double DeviceTimer::seconds() const {
  synchronize(m_device);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}

BatchFit assembleBatchFit(const torch::Tensor& recon, std::vector<ByteLedger> ledgers,
                          double fitSeconds, double decodeMs, const std::string& device,
                          nlohmann::json effectiveParams) {
  const auto n = recon.size(0);
  if (ledgers.size() == 1) ledgers.resize(n, ledgers.front());
  const auto host = hostFloats(recon);
  const auto per = static_cast<std::size_t>(recon.size(1) * recon.size(2));
  BatchFit fit;
  fit.targets.resize(n);
  for (std::int64_t i = 0; i < n; ++i) {
    fit.targets[i].reconstruction.assign(host.begin() + i * per, host.begin() + (i + 1) * per);
    fit.targets[i].bytes = std::move(ledgers[i]);
  }
  fit.fitSeconds = fitSeconds;
  fit.decodeMs = decodeMs;
  fit.device = device;
  fit.effectiveParams = std::move(effectiveParams);
  return fit;
}

FitStart::FitStart(const TargetBatch& batch, const std::string& device, JobContext& ctx)
    : dev((ctx.checkCancelled(), torch::Device(device))), fitTimer(dev), x(batchTensor(batch, dev)) {}

}  // namespace kvwb::core
