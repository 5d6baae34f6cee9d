// "quant": uniform asymmetric INT8 / INT4 / INT2 with a float16 scale and zero point per group.
// axis "token": groups along D within a token; "channel": groups along T within a dim; "kivi":
// KIVI's convention, keys per channel and values per token (by FitInputs::kind). One thread per
// call.
#include <stdexcept>

#include "core/compress/compress_common.h"
#include "core/compress/group_quant.h"
#include "core/compress/method_registry.h"

namespace kvwb::core {
namespace {

// The quantised rows' axis: "token" (groups along D), "channel" (along T), "kivi" (keys per
// channel, values per token); `kind` resolves kivi ("" when unknown: token).
bool perChannelAxis(const std::string& axis, const std::string& kind) {
  return axis == "channel" || (axis == "kivi" && kind == "K");
}

double quantBytes(double t, double d, int bits, std::int64_t group, bool perChannel) {
  const auto rowLength = perChannel ? t : d, rows = perChannel ? d : t;
  const double groups = rows * static_cast<double>(groupsPerRow(static_cast<std::int64_t>(rowLength),
                                                                 group == 0 ? static_cast<std::int64_t>(rowLength) : group));
  return packedCodeBytes(t * d, bits) + 4 * groups;  // + float16 scale and zero point per group
}

// One decode step on the codes of one kind (axis resolved by the kind, as the fit does): the
// codes enter the dot products as integers (2 G L D); dequantisation unpacks each code (INT8: a
// conversion, INT4/INT2: a shift or mask too) and applies each group's scale and zero point once
// per query (3 G per group), the zero points' sum once per score (per channel) or output (per
// token). reconstruct: every value unpacked, scaled and shifted into a float16 copy.
DecodeCost quantDecodeCost(const nlohmann::json& p, const DecodeShape& s) {
  const double L = static_cast<double>(s.context), D = static_cast<double>(s.dims),
               G = static_cast<double>(s.queryGroup);
  const int bits = p.at("bits").get<int>();
  const auto group = p.at("group").get<std::int64_t>();
  const bool perChannel = perChannelAxis(p.at("axis").get<std::string>(), s.kind == KvKind::Keys ? "K" : "V");
  const double bytes = quantBytes(L, D, bits, group, perChannel);
  const double codes = packedCodeBytes(L * D, bits), groups = (bytes - codes) / 4;
  const double unpack = L * D * (bits == 8 ? 1 : 2);
  if (s.reconstruct) return reconstructedDecodeCost(s, bytes, 0, unpack + 2 * L * D);
  return {bytes, 2 * G * L * D, unpack + 3 * G * groups + G * (perChannel ? L : D)};
}

const MethodDescriptor& quantDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "quant";
    m.family = MethodFamily::Quantization;
    m.doc = "uniform asymmetric integer quantisation; stores packed codes and a float16 scale and zero point per group";
    auto bits = integerParam("bits", 8, 2, 8, "bits per value");
    bits.choices = {8, 4, 2};
    m.params = {bits,
                integerParam("group", 0, 0, 1 << 30, "values per group along the axis (0 = the whole row)"),
                choiceParam("axis", "token", {"token", "channel", "kivi"},
                            "group along D per token, along T per channel, or KIVI's (keys per channel, values per token)")};
    m.defaultGrid = nlohmann::json::parse(R"({"bits": [8, 4], "axis": ["kivi"]})");
    m.needs.oneKind = true;  // for axis kivi
    m.bytes = [](const nlohmann::json& p, const TargetShape& s) {
      // kivi: the mean of its key (per channel) and value (per token) layouts.
      const auto t = static_cast<double>(s.tokens), dims = static_cast<double>(s.dims);
      const int b = p.at("bits").get<int>();
      const auto g = p.at("group").get<std::int64_t>();
      const auto axis = p.at("axis").get<std::string>();
      if (axis == "kivi") return (quantBytes(t, dims, b, g, true) + quantBytes(t, dims, b, g, false)) / 2;
      return quantBytes(t, dims, b, g, axis == "channel");
    };
    m.fitFlops = [](const nlohmann::json&, const TargetShape& s) {
      return 6.0 * static_cast<double>(s.tokens) * static_cast<double>(s.dims);
    };
    m.decodeCost = quantDecodeCost;
    return m;
  }();
  return d;
}

class QuantCompressor final : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return quantDescriptor(); }
  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    checkBatch(batch, method(), "batch");
    ParamReader params(descriptor(), json);
    const auto bits = params.integer("bits");
    const auto axis = params.choice("axis");
    if (axis == "kivi") {
      if (inputs.kind != "K" && inputs.kind != "V")
        params.fail("axis", "'kivi' needs a batch of one kind (inputs.kind K or V)");
      params.setEffective("kivi_axis", inputs.kind == "K" ? "channel" : "token");
    }
    const bool perChannel = perChannelAxis(axis, inputs.kind);
    const auto rowLength = perChannel ? batch.t : batch.d, rows = perChannel ? batch.d : batch.t;
    auto group = params.integer("group");
    if (group > rowLength)
      params.infeasible("group", "exceeds the row length " + std::to_string(rowLength));
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

MethodEntry quantMethod() { return methodEntry<QuantCompressor>(quantDescriptor); }

}  // namespace kvwb::core
