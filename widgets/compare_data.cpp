// computeCompare: one target, its attention context, two fits (an equal-bytes rank found by a
// binary search over the ByteLedger totals, which grow with the rank) and the plot slices.
#include "widgets/compare_data.h"

#include <cmath>
#include <map>

#include "core/base/errors.h"
#include "core/project/project.h"
#include "gpu/device.h"

namespace kvwb::widgets {
namespace {

constexpr const char* kEqualBytes = "equal_bytes";

bool wantsEqualBytes(const nlohmann::json& spec) { return spec.value(kEqualBytes, false); }

std::string methodOf(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("method") || !spec["method"].is_string())
    throw std::invalid_argument("compare: a spec needs a \"method\" string, got " + spec.dump());
  return spec["method"].get<std::string>();
}

// The compressor's parameters: the spec without "method" and "equal_bytes".
nlohmann::json paramsOf(const nlohmann::json& spec) {
  nlohmann::json params = spec;
  params.erase("method");
  params.erase(kEqualBytes);
  return params;
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

void appendTarget(core::TargetBatch& batch, const core::FloatMatrix& m) {
  batch.data.insert(batch.data.end(), m.data.begin(), m.data.end());
  ++batch.n;
}

// The target, its head's keys and values and its query group, read once.
struct Inputs {
  core::TargetBatch target, keys, values, queries;
  int queriesPerTarget = 0;
  bool hasQueries = false;
};

Inputs loadInputs(const ComparePair& pair) {
  const auto project = core::Project::open(pair.project);
  const core::CaptureInfo& info = project.capture(pair.capture);
  if (pair.layer < 0 || pair.layer >= info.layers || pair.head < 0 || pair.head >= info.kvHeads)
    throw core::InputError(pair.project, "capture '" + pair.capture + "' has no layer " +
                                             std::to_string(pair.layer) + " head " +
                                             std::to_string(pair.head));
  if (pair.kind != "K" && pair.kind != "V")
    throw core::InputError(pair.project, "compare: kind '" + pair.kind + "' is not K or V");
  Inputs in;
  const core::TargetBatch empty{0, info.tokens, info.headDim, {}};
  in.keys = in.values = in.queries = empty;
  appendTarget(in.keys, project.readTarget(pair.capture, core::TensorKind::Keys, pair.layer,
                                           pair.head));
  appendTarget(in.values, project.readTarget(pair.capture, core::TensorKind::Values, pair.layer,
                                             pair.head));
  in.target = pair.kind == "K" ? in.keys : in.values;
  in.hasQueries = info.hasQueries;
  in.queriesPerTarget = static_cast<int>(info.queryHeads / info.kvHeads);
  if (in.hasQueries)
    for (int g = 0; g < in.queriesPerTarget; ++g)
      appendTarget(in.queries, project.readTarget(pair.capture, core::TensorKind::Queries,
                                                  pair.layer,
                                                  pair.head * in.queriesPerTarget + g));
  return in;
}

class Fitter {
 public:
  Fitter(const Inputs& in, const std::string& kind, std::string device, core::JobContext& ctx)
      : m_in(in), m_device(std::move(device)), m_ctx(ctx) {
    m_fitInputs.queries = in.hasQueries ? &in.queries : nullptr;
    m_fitInputs.queriesPerTarget = in.queriesPerTarget;
    m_fitInputs.keys = &in.keys;
    m_fitInputs.kind = kind;
  }

  core::BatchFit fit(const std::string& method, const nlohmann::json& params) {
    m_ctx.checkCancelled();
    return core::makeCompressor(method)->fit(m_in.target, params, m_fitInputs, m_device, m_ctx);
  }

  // The fit of `spec` at the rank whose bytes are closest to `bytes` (the smaller rank on a tie).
  core::BatchFit fitEqualBytes(const std::string& method, const nlohmann::json& spec,
                               double bytes) {
    std::map<std::int64_t, core::BatchFit> fits;
    auto at = [&](std::int64_t rank) -> const core::BatchFit& {
      auto it = fits.find(rank);
      if (it == fits.end()) {
        auto params = paramsOf(spec);
        params["rank"] = rank;
        it = fits.emplace(rank, fit(method, params)).first;
      }
      return it->second;
    };
    auto total = [&](std::int64_t rank) { return at(rank).targets.front().bytes.total(); };
    std::int64_t lo = 1, hi = std::min(m_in.target.t, m_in.target.d);
    while (lo < hi) {  // the smallest rank with total >= bytes, or the largest rank
      const std::int64_t mid = (lo + hi) / 2;
      if (total(mid) >= bytes)
        hi = mid;
      else
        lo = mid + 1;
    }
    const std::int64_t best =
        lo > 1 && std::abs(total(lo - 1) - bytes) <= std::abs(total(lo) - bytes) ? lo - 1 : lo;
    return at(best);
  }

 private:
  const Inputs& m_in;
  std::string m_device;
  core::JobContext& m_ctx;
  core::FitInputs m_fitInputs;
};

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
          {{"method", "svd"}, {kEqualBytes, true}}};
}

CompareResult computeCompare(const ComparePair& pair, const std::string& device,
                             core::JobContext& ctx) {
  const std::array<const nlohmann::json*, 2> specs{&pair.a, &pair.b};
  if (wantsEqualBytes(pair.a) && wantsEqualBytes(pair.b))
    throw std::invalid_argument("compare: only one of the two specs can ask for equal_bytes");
  CompareResult result;
  result.pair = pair;
  result.device = gpu::resolveDevice(device);
  const Inputs in = loadInputs(pair);
  result.tokens = in.target.t;
  result.dims = in.target.d;
  result.original = in.target.data;

  Fitter fitter(in, pair.kind, result.device, ctx);
  // The spec without equal_bytes first: its bytes are what the other one matches.
  const std::size_t first = wantsEqualBytes(pair.a) ? 1 : 0;
  for (const std::size_t i : {first, 1 - first}) {
    const std::string method = methodOf(*specs[i]);
    ctx.report(i == first ? 0.0 : 0.5, "fitting " + method);
    const core::BatchFit fit =
        wantsEqualBytes(*specs[i])
            ? fitter.fitEqualBytes(method, *specs[i], result.fits[first].bytes.total())
            : fitter.fit(method, paramsOf(*specs[i]));
    CompareFit& out = result.fits[i];
    out.method = method;
    out.params = fit.effectiveParams;
    out.label = labelOf(method, *specs[i], fit.effectiveParams);
    out.reconstruction = fit.targets.front().reconstruction;
    out.bytes = fit.targets.front().bytes;
    core::ResultRow& row = out.row;
    row.layer = pair.layer;
    row.head = pair.head;
    row.kind = pair.kind;
    row.paramsJson = fit.effectiveParams.dump();
    row.device = result.device;
    row[core::FitMetric::Bytes] = out.bytes.total();
    row[core::FitMetric::Ratio] = static_cast<double>(result.tokens * result.dims * 2) / out.bytes.total();
    row[core::FitMetric::FitSeconds] = fit.fitSeconds;
    row[core::FitMetric::DecodeMs] = fit.decodeMs;
  }

  core::AttentionContext attention;
  attention.queries = &in.queries;
  attention.queriesPerTarget = in.queriesPerTarget;
  attention.keys = &in.keys;
  attention.values = &in.values;
  attention.isKeys = {static_cast<char>(pair.kind == "K")};
  for (CompareFit& fit : result.fits) {
    const core::FitMetrics m = core::computeFitMetrics(in.target, fit.reconstruction,
                                                       in.hasQueries ? &attention : nullptr,
                                                       result.device)
                                   .front();
    for (const auto& metric : core::fitMetrics())
      if (!std::isnan(m[metric.id])) fit.row[metric.id] = m[metric.id];
  }
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
  for (const CompareFit& fit : fits) {
    HeatmapPanel panel{fit.label, 0, std::vector<double>(original.size())};
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

std::string CompareResult::title() const {
  return pair.capture + " · layer " + std::to_string(pair.layer) + " · head " +
         std::to_string(pair.head) + " · " + pair.kind + ": " + fits[0].label + " vs " +
         fits[1].label;
}

}  // namespace kvwb::widgets
