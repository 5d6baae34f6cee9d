// "siren": per-target SIREN f(t) -> D-dim vector (nerf-attention seed), all targets of a batch
// trained as one batched network (weights [N, in, out]); sequential mode = one target per call.
#include <cmath>
#include <map>
#include <stdexcept>
#include <vector>

#include "core/compress/batched_training.h"
#include "core/compress/method_registry.h"

namespace kvwb::core {
namespace {

struct SirenShape {
  std::int64_t width = 256, depth = 2;  // depth = hidden width x width sine layers
  double omega0 = 30;
};

// The seed's seven configurations (nerf_attention/types.py CONFIGS_FULL), by its names.
const std::map<std::string, SirenShape>& sirenConfigs() {
  static const std::map<std::string, SirenShape> configs = {
      {"tiny", {64, 1, 30}},   {"small", {128, 1, 30}}, {"medium", {256, 2, 30}},
      {"large", {512, 2, 30}}, {"deep", {256, 3, 30}},  {"hifreq", {256, 2, 60}},
      {"lofreq", {256, 2, 15}}};
  return configs;
}

// Layer sizes: 1 -> width, depth x (width -> width), width -> out (the seed's hidden_layers).
std::vector<std::int64_t> layerSizes(const SirenShape& s, std::int64_t out) {
  std::vector<std::int64_t> sizes(s.depth + 3, s.width);
  sizes.front() = 1;
  sizes.back() = out;
  return sizes;
}

// N SIRENs side by side: sine layers sin(omega0 (x W + b)) with the SIREN initialisation (first
// layer U(-1/in, 1/in), later ones U(-sqrt(6/in)/omega0, +)), a linear last layer.
struct BatchedSirenImpl : torch::nn::Module {
  BatchedSirenImpl(std::int64_t n, std::int64_t out, const SirenShape& shape,
                   std::vector<torch::Generator>& gens)
      : m_omega0(shape.omega0) {
    const auto sizes = layerSizes(shape, out);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      const auto in = sizes[l];
      const double bound = l == 0 ? 1.0 / in : std::sqrt(6.0 / in) / m_omega0;
      auto w = torch::empty({n, in, sizes[l + 1]});
      auto b = torch::empty({n, 1, sizes[l + 1]});
      learned::uniformPerTarget(w, bound, gens);
      learned::uniformPerTarget(b, bound, gens);
      m_weights.push_back(register_parameter("w" + std::to_string(l), w));
      m_biases.push_back(register_parameter("b" + std::to_string(l), b));
    }
  }

  // t: [1, T, 1] positions in [0, 1] -> [N, T, out].
  torch::Tensor forward(const torch::Tensor& t) {
    auto h = torch::sin(m_omega0 * torch::addcmul(m_biases[0], t, m_weights[0]));  // in = 1
    const auto last = m_weights.size() - 1;
    for (std::size_t l = 1; l < last; ++l)
      h = torch::sin(m_omega0 * torch::baddbmm(m_biases[l], h, m_weights[l]));
    return torch::baddbmm(m_biases[last], h, m_weights[last]);
  }

 private:
  double m_omega0;
  std::vector<torch::Tensor> m_weights, m_biases;
};
TORCH_MODULE(BatchedSiren);

// One target's ledger: every layer's weights and biases, plus the per-dim mean and std the
// seed stores beside the net.
ByteLedger sirenLedger(const SirenShape& shape, std::int64_t dims, double bytesPerValue) {
  ByteLedger ledger;
  const auto sizes = layerSizes(shape, dims);
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    ledger.add("weights", static_cast<double>(sizes[l] * sizes[l + 1]) * bytesPerValue);
    ledger.add("biases", static_cast<double>(sizes[l + 1]) * bytesPerValue);
  }
  ledger.add("normalisation", 2.0 * static_cast<double>(dims) * bytesPerValue);
  return ledger;
}

// The network shape: the named config's, with width, depth and omega0 overriding it.
SirenShape sirenShape(const nlohmann::json& params) {
  auto shape = sirenConfigs().at(params.at("config").get<std::string>());
  shape.width = params.value("width", shape.width);
  shape.depth = params.value("depth", shape.depth);
  shape.omega0 = params.value("omega0", shape.omega0);
  return shape;
}

const MethodDescriptor& sirenDescriptor() {
  static const MethodDescriptor d = [] {
    MethodDescriptor m;
    m.name = "siren";
    m.family = MethodFamily::NeuralField;
    m.doc = "per-target SIREN f(t) -> D-dim vector trained on the target (nerf-attention seed); stores all weights and biases and a per-dim mean and std";
    std::vector<nlohmann::json> configs;
    for (const auto& [name, shape] : sirenConfigs()) configs.push_back(name);
    m.params = {choiceParam("config", "medium", configs, "one of the seed's seven network shapes"),
                integerParam("width", nullptr, 1, 1 << 16, "hidden width (default: the config's)"),
                integerParam("depth", nullptr, 0, 64, "hidden width x width sine layers (default: the config's)"),
                numberParam("omega0", nullptr, 1e-6, 1e6, "sine frequency scale (default: the config's)")};
    const auto learned = learned::learnedParams(2000, 1e-4);
    m.params.insert(m.params.end(), learned.begin(), learned.end());
    m.defaultGrid = nlohmann::json::parse(R"({"config": ["tiny"], "epochs": [150], "lr": [0.001]})");
    m.check = [](const nlohmann::json& p) { learned::checkLearnedParams("siren", p); };
    m.bytes = [](const nlohmann::json& p, const TargetShape& s) {
      return sirenLedger(sirenShape(p), s.dims, bytesPerValue(p)).total();
    };
    m.fitFlops = [](const nlohmann::json& p, const TargetShape& s) {
      // forward + backward (3x the forward's 2 FLOPs per weight) at every token, every epoch
      const auto weights = sirenLedger(sirenShape(p), s.dims, 1).items.at("weights");
      return 3 * 2.0 * weights * static_cast<double>(s.tokens) * p.at("epochs").get<double>();
    };
    // One decode step evaluates the network at the L positions (block by block, never written
    // out) and attends to each reconstructed row: every weight is a multiply-add per position,
    // every hidden unit a sine, the normalisation a multiply and an add per value. A sine is
    // charged 8 elementwise ops: an NVIDIA SM has 16 special-function units per 128 float32
    // lanes, and a vectorised CPU sine is about 20 instructions.
    m.decodeCost = [](const nlohmann::json& p, const DecodeShape& s) {
      constexpr double kSineOps = 8;
      const auto shape = sirenShape(p);
      const auto counts = sirenLedger(shape, s.dims, 1).items;
      const double L = static_cast<double>(s.context), D = static_cast<double>(s.dims);
      const double network = L * (2 * counts.at("weights") + counts.at("biases"));
      const double elementwise = L * (kSineOps * static_cast<double>(shape.width * (shape.depth + 1)) + 2 * D);
      const double bytes = sirenLedger(shape, s.dims, bytesPerValue(p)).total();
      return reconstructedDecodeCost(s, bytes, network, elementwise);
    };
    return m;
  }();
  return d;
}

class SirenCompressor : public Compressor {
 public:
  const MethodDescriptor& descriptor() const override { return sirenDescriptor(); }

  BatchFit fit(const TargetBatch& batch, const nlohmann::json& json, const FitInputs& inputs,
               const std::string& device, JobContext& ctx) override {
    ParamReader params(descriptor(), json);
    if (batch.t < 2) throw Infeasible("siren: targets need at least 2 tokens");
    const auto& preset = sirenConfigs().at(params.choice("config"));
    SirenShape shape;
    shape.width = params.integer("width", preset.width);
    shape.depth = params.integer("depth", preset.depth);
    shape.omega0 = params.number("omega0", preset.omega0);
    const auto opt = learned::readLearnedOptions(params, inputs.seed);
    auto effective = params.finish();

    const torch::Device dev(device);
    const auto positions = torch::linspace(0, 1, batch.t).view({1, batch.t, 1}).to(dev);
    auto fitGroup = [&](std::int64_t first, std::int64_t count, double base, double span) {
      const auto x = learned::targetsOn(batch, first, count, dev);
      // The seed fits the per-dim standardised target and stores mean and std beside the net.
      auto mean = x.mean(1, true);
      auto stdev = x.std(1, /*unbiased*/ true, /*keepdim*/ true).clamp_min(1e-3);
      const auto y = (x - mean) / stdev;
      auto gens = learned::targetGenerators(opt.seed, first, count);
      BatchedSiren net(count, batch.d, shape, gens);
      net->to(dev);
      learned::GroupFit g;
      g.lossCurves = learned::trainBatched(
          net->parameters(), [&] { return (net->forward(positions) - y).pow(2).mean({1, 2}); },
          opt.train, ctx, base, span, "siren targets " + std::to_string(first + 1) + "-" + std::to_string(first + count));
      torch::NoGradGuard noGrad;
      for (auto& p : net->parameters()) p.copy_(opt.storage.round(p));
      mean = opt.storage.round(mean);
      stdev = opt.storage.round(stdev);
      const DeviceTimer decode(dev);
      g.reconstruction = torch::addcmul(mean, net->forward(positions), stdev);
      g.decodeMs = decode.seconds() * 1e3;
      return g;
    };
    auto out = learned::fitInGroups(batch, opt, device, fitGroup);

    const auto ledger = sirenLedger(shape, batch.d, opt.storage.bytesPerValue);
    for (auto& t : out.targets) t.bytes = ledger;
    out.effectiveParams = std::move(effective);
    return out;
  }
};

}  // namespace

MethodEntry sirenMethod() { return methodEntry<SirenCompressor>(sirenDescriptor); }

}  // namespace kvwb::core
