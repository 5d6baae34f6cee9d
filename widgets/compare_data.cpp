// computeCompare: one target's batch with its attention context (core::buildKindBatch, as the
// sweep builds them), two fits measured by core::fitAndMeasure (an equal-bytes rank found by a
// binary search over the method descriptor's byte estimates), and the plot slices.
#include "widgets/compare_data.h"

#include <cmath>

#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/reports/counterpart.h"
#include "core/sweep/fit_and_measure.h"
#include "gpu/device.h"

namespace kvwb::widgets {
namespace {

// True for {"equal_bytes": true} and {"equal_bytes": "width"}.
bool wantsEqualBytes(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains(core::kEqualBytesKey)) return false;
  const auto& value = spec[core::kEqualBytesKey];
  return value.is_string() || (value.is_boolean() && value.get<bool>());
}

std::string methodOf(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("method") || !spec["method"].is_string())
    throw std::invalid_argument("compare: a spec needs a \"method\" string, got " + spec.dump());
  return spec["method"].get<std::string>();
}

// The compressor's parameters: the spec without "method" and "equal_bytes".
// The spec's parameters as a request (a stored fit's effective ones name its size twice).
nlohmann::json paramsOf(const nlohmann::json& spec) {
  nlohmann::json params = spec;
  params.erase("method");
  params.erase(core::kEqualBytesKey);
  return core::withoutSolvedRequests(core::methodDescriptor(spec.at("method").get<std::string>()), params);
}

// The method, its configuration with the shape parameters the spec overrides, and its rank or bits.
std::string labelOf(const std::string& method, const nlohmann::json& spec,
                    const nlohmann::json& eff) {
  std::string label = method;
  if (eff.contains("config")) label += " " + eff["config"].get<std::string>();
  for (const char* shape : {"width", "depth"})
    if (spec.contains(shape) && eff.contains(shape))
      label += " " + std::string(shape) + " " + eff[shape].dump();
  if (eff.contains("rank")) label += " rank " + std::to_string(eff["rank"].get<int>());
  if (eff.contains("bits")) label += " " + std::to_string(eff["bits"].get<int>()) + "-bit";
  return label;
}

// The spec's parameters with its equal-bytes size parameter (the method's ratio parameter, or the
// one "equal_bytes" names) set to the value whose descriptor byte estimate is closest to `bytes`
// among those that compress the target (core::equalBytesValue; the estimates grow with it).
nlohmann::json equalBytesParams(const std::string& method, const nlohmann::json& spec, double bytes,
                                const core::TargetShape& shape) {
  const auto& descriptor = core::methodDescriptor(method);
  const auto& key = spec.at(core::kEqualBytesKey);
  const std::string name = key.is_string() ? key.get<std::string>() : descriptor.ratioParam;
  const auto* param = descriptor.param(name);
  if (!param || param->type != core::ParamType::Integer)
    throw std::invalid_argument("compare: " + method + " has no integer size parameter '" + name +
                                "' to match bytes with");
  auto params = paramsOf(spec);
  const auto estimate = [&](std::int64_t value) {
    params[param->name] = value;
    return core::estimateBytes(descriptor, params, shape);
  };
  params[param->name] =
      core::equalBytesValue(static_cast<std::int64_t>(param->min),
                            static_cast<std::int64_t>(param->max), bytes, shape.rawFloat16Bytes(),
                            estimate);
  return params;
}

}  // namespace

ComparePair sirenVsSvd(const std::filesystem::path& project, const std::string& capture,
                       int layer, int head, const std::string& kind,
                       const std::string& sirenConfig, int epochs) {
  return {project,
          capture,
          layer,
          head,
          kind,
          {{"method", "siren"}, {"config", sirenConfig}, {"epochs", epochs}},
          {{"method", "svd"}, {core::kEqualBytesKey, true}}};
}

CompareResult computeCompare(const ComparePair& pair, const std::string& device,
                             core::JobContext& ctx) {
  const std::array<const nlohmann::json*, 2> specs{&pair.a, &pair.b};
  if (wantsEqualBytes(pair.a) && wantsEqualBytes(pair.b))
    throw std::invalid_argument("compare: only one of the two specs can ask for equal_bytes");
  CompareResult result;
  result.pair = pair;
  result.device = gpu::resolveDevice(device);
  const auto project = core::Project::open(pair.project);
  core::TargetReader reader(project, pair.capture);
  const auto batch = core::buildKindBatch(reader, {{pair.layer, pair.head}}, pair.kind, reader.info().tokens);
  result.tokens = batch.targets.t;
  result.dims = batch.targets.d;
  result.original = batch.targets.data;

  // The spec without equal_bytes first: its bytes are what the other one matches.
  const std::size_t first = wantsEqualBytes(pair.a) ? 1 : 0;
  for (const std::size_t i : {first, 1 - first}) {
    const std::string method = methodOf(*specs[i]);
    core::SubJobContext fitCtx(ctx, i == first ? 0.0 : 0.5, 0.5, method + ": ");
    const auto params = wantsEqualBytes(*specs[i])
                            ? equalBytesParams(method, *specs[i], result.fits[first].bytes.total(),
                                               {result.tokens, result.dims})
                            : paramsOf(*specs[i]);
    const auto measured =
        core::fitAndMeasure(*core::makeCompressor(method), batch, params, 0, true, result.device, fitCtx);
    CompareFit& out = result.fits[i];
    out.method = method;
    out.params = measured.fit.effectiveParams;
    out.label = labelOf(method, params, measured.fit.effectiveParams);
    out.reconstruction = measured.fit.targets.front().reconstruction;
    out.bytes = measured.fit.targets.front().bytes;
    out.row = core::targetRows(measured, batch, params, nlohmann::json::object()).front();
  }
  result.reference = first;
  result.searched = wantsEqualBytes(*specs[1 - first]);
  ctx.report(1.0, "compared");
  return result;
}

int CompareResult::busiestDim() const {
  int best = 0;
  double bestVariance = -1;
  for (std::int64_t d = 0; d < dims; ++d) {
    double sum = 0, squares = 0;
    for (std::int64_t t = 0; t < tokens; ++t) {
      const double v = original[static_cast<std::size_t>(t * dims + d)];
      sum += v;
      squares += v * v;
    }
    const double n = static_cast<double>(tokens);
    const double variance = squares / n - (sum / n) * (sum / n);
    if (variance > bestVariance) {
      bestVariance = variance;
      best = static_cast<int>(d);
    }
  }
  return best;
}

LineChart CompareResult::dimensionChart(int dim) const {
  LineChart chart;
  chart.title = "Dimension " + std::to_string(dim) + " over tokens";
  chart.xLabel = "token";
  chart.yLabel = pair.kind + " value";
  std::vector<double> x(static_cast<std::size_t>(tokens));
  for (std::size_t t = 0; t < x.size(); ++t) x[t] = static_cast<double>(t);
  auto column = [&](const std::vector<float>& m) {
    std::vector<double> y(x.size());
    for (std::size_t t = 0; t < y.size(); ++t)
      y[t] = m[t * static_cast<std::size_t>(dims) + static_cast<std::size_t>(dim)];
    return y;
  };
  chart.series.push_back({x, column(original), "original", 7});
  chart.series.push_back({x, column(fits[0].reconstruction), fits[0].label, 2});
  chart.series.push_back({x, column(fits[1].reconstruction), fits[1].label, 3, true});
  return chart;
}

HeatmapData CompareResult::errorMap() const {
  HeatmapData map;
  map.layers = static_cast<int>(dims);
  map.heads = static_cast<int>(tokens);
  map.xLabel = "token";
  map.yLabel = "dim";
  map.valueLabel = "|reconstruction − original|";
  for (std::size_t f = 0; f < fits.size(); ++f) {
    const CompareFit& fit = fits[f];
    HeatmapPanel panel{panelTitle(f), 0, std::vector<double>(original.size())};
    for (std::int64_t d = 0; d < dims; ++d)
      for (std::int64_t t = 0; t < tokens; ++t) {
        const auto i = static_cast<std::size_t>(t * dims + d);
        panel.values[static_cast<std::size_t>(d * tokens + t)] =
            std::abs(static_cast<double>(fit.reconstruction[i]) - original[i]);
      }
    map.panels.push_back(std::move(panel));
  }
  return map;
}

std::vector<CompareResult::MetricRow> CompareResult::metricRows() const {
  const auto text = [](core::FitMetric id, double v) {
    return std::isfinite(v) ? core::formatMetric(id, v) : std::string("—");
  };
  std::vector<MetricRow> rows;
  for (const auto& m : core::fitMetrics()) {
    const double a = fits[0].row[m.id], b = fits[1].row[m.id];
    if (std::isnan(a) && std::isnan(b)) continue;
    const std::string unit = *m.unit ? std::string(" (") + m.unit + ")" : "";
    rows.push_back({m.title + unit, {text(m.id, a), text(m.id, b)}});
  }
  return rows;
}

core::BytesPairing CompareResult::pairing() const {
  const CompareFit &ref = fits[reference], &other = fits[1 - reference];
  return {ref.label, other.method, other.label, ref.bytes.total(), other.bytes.total(), searched};
}

std::string CompareResult::bytesNote() const { return core::pairingNote(pairing()); }

std::string CompareResult::panelTitle(std::size_t fit) const {
  const double bytes = fits[fit].bytes.total();
  std::string size = core::bytesText(bytes);  // "19,296 B", kept on one line where titles wrap
  size.replace(size.rfind(' '), 1, "\u00a0");
  std::string title = fits[fit].label + " · " + size;
  if (fit != reference)
    title += " (" + core::bytesChangeText(fits[reference].bytes.total(), bytes) + ")";
  return title;
}

std::string CompareResult::title() const {
  return pair.capture + " · layer " + std::to_string(pair.layer) + " · head " +
         std::to_string(pair.head) + " · " + pair.kind + ": " + fits[0].label + " vs " +
         fits[1].label;
}

}  // namespace kvwb::widgets
