// Internal to the compressors (includes torch; never include from public headers or Qt code):
// batch <-> tensor conversion, input checks, stored precision, device-synchronised timing and the
// assembly of a BatchFit. One thread at a time per device.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/compress/compress_params.h"
#include "core/compress/compressor.h"

namespace kvwb::core {

// Throws std::invalid_argument ("<method>: <what> ...") unless the batch is non-empty and its data
// holds n*t*d values.
void checkBatch(const TargetBatch& batch, const std::string& method, const std::string& what);
torch::Tensor batchTensor(const TargetBatch& batch,
                          const torch::Device& device);  // [N, T, D] float32
std::vector<float> hostFloats(const torch::Tensor& t);
double rawFloat16Bytes(const TargetBatch& batch);  // T * D * 2: the ratio's numerator, per target

// The precision a representation's values are stored at: parameter "storage", "float16" or
// "float32" (declared default: float16, float32 for the learned methods as in the seed).
// round() gives the values as stored, back in float32, so reconstructions use exactly what the
// ledger counts.
struct Storage {
  std::string name;
  double bytesPerValue = 2;
  torch::ScalarType type = torch::kFloat16;
  torch::Tensor round(const torch::Tensor& x) const { return x.to(type).to(torch::kFloat32); }
};
ParamSpec storageParam(const std::string& fallback);
Storage readStorage(ParamReader& params);
// Bytes per stored value of parameters with defaults filled in (descriptor byte estimates).
double bytesPerValue(const nlohmann::json& params);

// Wall-clock stopwatch that first waits for the work queued on `device`.
class DeviceTimer {
 public:
  explicit DeviceTimer(const torch::Device& device);
  double seconds() const;

 private:
  torch::Device m_device;
  std::chrono::steady_clock::time_point m_start;
};

// The start every fit shares: the cancel check, autograd off for the rest of the fit, the device,
// the fit timer (running from here) and the batch on the device.
struct FitStart {
  FitStart(const TargetBatch& batch, const std::string& device, JobContext& ctx);
  torch::NoGradGuard noGrad;
  torch::Device dev;
  DeviceTimer fitTimer;
  torch::Tensor x;
};

// `recon`: [N, T, D]; `ledgers`: one per target, or one that every target shares.
BatchFit assembleBatchFit(const torch::Tensor& recon, std::vector<ByteLedger> ledgers,
                          double fitSeconds, double decodeMs, const std::string& device,
                          nlohmann::json effectiveParams);

}  // namespace kvwb::core
