// "quant": uniform asymmetric INT8 / INT4 / INT2 with a float16 scale and zero point per group.
// axis "token": groups along D within a token; "channel": groups along T within a dim; "kivi":
// KIVI's convention, keys per channel and values per token (by FitInputs::kind). One thread per
// call.
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/group_quant.h"
#include "core/compress/methods.h"

namespace kvwb::core {
namespace {

class QuantCompressor final : public Compressor {
 public:
  std::string method() const override { return "quant"; }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(method(), json);
    const auto bits = params.integer("bits", 8, 2, 8);
    if (bits != 2 && bits != 4 && bits != 8) params.fail("bits", "must be 8, 4 or 2");
    auto axis = params.choice("axis", "token", {"token", "channel", "kivi"});
    if (axis == "kivi") {
      if (inputs.kind != "K" && inputs.kind != "V")
        params.fail("axis", "'kivi' needs a batch of one kind (inputs.kind K or V)");
      axis = inputs.kind == "K" ? "channel" : "token";
      params.setEffective("kivi_axis", axis);
    }
    const bool perChannel = axis == "channel";
    const auto rowLength = perChannel ? batch.t : batch.d, rows = perChannel ? batch.d : batch.t;
    auto group = params.integer("group", 0, 0, rowLength);
    if (group == 0) group = rowLength;  // the whole row
    params.setEffective("group", group);
    const auto effective = params.finish();
    const FitStart start(batch, device, ctx);
    const auto& dev = start.dev;
    const auto& fitTimer = start.fitTimer;
    const auto& x = start.x;
    const auto q =
        quantizeGroups(perChannel ? x.transpose(1, 2) : x, static_cast<int>(bits), group);
    const double fitSeconds = fitTimer.seconds();
    const DeviceTimer decodeTimer(dev);
    auto recon = dequantizeGroups(q);
    if (perChannel) recon = recon.transpose(1, 2);
    const double decodeMs = decodeTimer.seconds() * 1e3;
    const double groups = static_cast<double>(rows) * groupsPerRow(rowLength, group);
    ByteLedger ledger;
    ledger.add("codes",
               packedCodeBytes(static_cast<double>(batch.t) * batch.d, static_cast<int>(bits)));
    ledger.add("scales", groups * 2);
    ledger.add("zero_points", groups * 2);
    ctx.report(1.0, "quant");
    return assembleBatchFit(recon, {ledger}, fitSeconds, decodeMs, device, effective);
  }
};

}  // namespace

std::unique_ptr<Compressor> makeQuantCompressor() { return std::make_unique<QuantCompressor>(); }

}  // namespace kvwb::core
