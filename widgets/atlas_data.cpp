// AtlasData: index arithmetic over the [L, H, kind, ...] arrays of a CaptureAnalysis, and the
// list of drill-down plots; the definitions of what is sliced are in docs/ANALYSES.md.
#include "widgets/atlas_data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>

namespace kvwb::widgets {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const DrillDownPlot kDrillDownPlots[] = {
    {"autocorrelationPlot", "Autocorrelation over token lag", &AtlasData::autocorrelation, nullptr},
    {"spectrumPlot", "Energy spectrum over tokens", &AtlasData::spectrum, nullptr},
    {"singularPlot", "Singular values", &AtlasData::singularValues, nullptr},
    {"magnitudePlot", "Per-dimension magnitude", &AtlasData::dimensionMagnitudes, nullptr},
    {"sinkPlot", "Attention received per token (sinks)", &AtlasData::attentionSinks, "sink_share"},
    {"sensitivityPlot", "Attention-output sensitivity per dimension",
     &AtlasData::dimensionSensitivity, "dim_sensitivity"},
};

// The elements of `a` below the leading indices `at` (row-major).
std::span<const float> slice(const core::NamedArray& a, std::initializer_list<std::int64_t> at) {
  std::int64_t offset = 0, width = 1;
  std::size_t dim = 0;
  for (const std::int64_t i : at) offset = offset * a.shape[dim++] + i;
  for (; dim < a.shape.size(); ++dim) width *= a.shape[dim];
  return {a.data.data() + offset * width, static_cast<std::size_t>(width)};
}

std::vector<double> toDouble(std::span<const float> values) {
  return {values.begin(), values.end()};
}

std::vector<double> range(std::size_t n, double first) {
  std::vector<double> x(n);
  std::iota(x.begin(), x.end(), first);
  return x;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

// "K" solid, "V" dashed..., coloured by kind index (blue, vermillion, green).
Series kindSeries(const std::string& kind, int kindIndex, std::vector<double> x,
                  std::vector<double> y) {
  return {std::move(x), std::move(y), kind, kindIndex, kindIndex % 2 == 1};
}

}  // namespace

AtlasData::AtlasData(std::shared_ptr<const core::CaptureAnalysis> analysis, std::string label)
    : m_analysis(std::move(analysis)), m_label(std::move(label)) {
  const auto& a = *m_analysis;
  m_scalars.resize(static_cast<std::size_t>(a.layers * a.heads) * a.kinds.size());
  for (std::int64_t l = 0; l < a.layers; ++l)
    for (std::int64_t h = 0; h < a.heads; ++h)
      for (std::size_t k = 0; k < a.kinds.size(); ++k)
        m_scalars[targetIndex({static_cast<int>(l), static_cast<int>(h), static_cast<int>(k)})] =
            a.scalars(l, h, k);
}

std::span<const DrillDownPlot> drillDownPlots() { return kDrillDownPlots; }

std::string AtlasData::displayLabel(const core::CaptureInfo& capture) {
  const auto meta = nlohmann::json::parse(capture.metadataJson, nullptr, false);
  if (meta.is_object() && meta.contains("prompt_label") && meta["prompt_label"].is_string() &&
      !meta["prompt_label"].get<std::string>().empty())
    return meta["prompt_label"].get<std::string>();
  return capture.name;
}

std::size_t AtlasData::targetIndex(const AtlasTarget& t) const {
  const auto& a = *m_analysis;
  return static_cast<std::size_t>(
      (t.layer * a.heads + t.head) * static_cast<std::int64_t>(a.kinds.size()) + t.kind);
}

std::span<const float> AtlasData::row(const std::string& name, int layer, int head,
                                      int kind) const {
  return slice(m_analysis->array(name), {layer, head, kind});
}

bool AtlasData::contains(const AtlasTarget& t) const {
  const auto& a = *m_analysis;
  return t.layer >= 0 && t.layer < a.layers && t.head >= 0 && t.head < a.heads && t.kind >= 0 &&
         t.kind < static_cast<int>(a.kinds.size());
}

double AtlasData::scalar(core::StructureScalar metric, const AtlasTarget& target) const {
  return m_scalars[targetIndex(target)][metric];
}

HeatmapData AtlasData::heatmap(core::StructureScalar metric, HeatmapMode mode) const {
  const auto& a = *m_analysis;
  const core::StructureScalarDef& def = core::structureScalar(metric);
  HeatmapData data;
  data.layers = static_cast<int>(a.layers);
  data.heads = static_cast<int>(a.heads);
  data.valueLabel = def.title;
  if (*def.unit) data.valueLabel += std::string(" (") + def.unit + ")";
  const auto grid = [&](auto value) {
    std::vector<double> v;
    v.reserve(static_cast<std::size_t>(a.layers * a.heads));
    for (int l = 0; l < data.layers; ++l)
      for (int h = 0; h < data.heads; ++h) v.push_back(value(l, h));
    return v;
  };
  if (mode == HeatmapMode::Difference) {
    data.diverging = true;
    data.valueLabel += " (K − V)";
    data.panels.push_back({"K − V", 0, grid([&](int l, int h) {
                             return scalar(metric, {l, h, 0}) - scalar(metric, {l, h, 1});
                           })});
    return data;
  }
  for (std::size_t k = 0; k < a.kinds.size(); ++k) {
    const int kind = static_cast<int>(k);
    data.panels.push_back({a.kinds[k], kind, grid([&](int l, int h) {
                             return scalar(metric, {l, h, kind});
                           })});
  }
  return data;
}

std::variant<LineChart, BarChart> AtlasData::drillDown(const DrillDownPlot& plot,
                                                       const AtlasTarget& target) const {
  return std::visit(
      [&](auto make) -> std::variant<LineChart, BarChart> {
        auto chart = (this->*make)(target);
        chart.title = plot.title;
        return chart;
      },
      plot.chart);
}

LineChart AtlasData::autocorrelation(const AtlasTarget& t) const {
  LineChart chart;
  chart.xLabel = "lag (tokens)";
  chart.yLabel = "mean Pearson r";
  for (std::size_t k = 0; k < m_analysis->kinds.size(); ++k) {
    const auto y = row("autocorr", t.layer, t.head, static_cast<int>(k));
    chart.series.push_back(
        kindSeries(m_analysis->kinds[k], static_cast<int>(k), range(y.size(), 1), toDouble(y)));
  }
  return chart;
}

LineChart AtlasData::spectrum(const AtlasTarget& t) const {
  const auto& a = *m_analysis;
  LineChart chart;
  chart.xLabel = "frequency (cycles per " + std::to_string(a.tokens) + " tokens)";
  chart.yLabel = "energy";
  chart.logX = chart.logY = true;
  std::size_t bins = 0;
  for (std::size_t k = 0; k < a.kinds.size(); ++k) {
    const auto y = row("spectrum", t.layer, t.head, static_cast<int>(k));
    bins = y.size();
    // Bin 0 (the mean) is zero after centring: the curve starts at frequency 1.
    chart.series.push_back(kindSeries(a.kinds[k], static_cast<int>(k), range(y.size() - 1, 1),
                                      toDouble(y.subspan(1))));
  }
  // Every low-frequency share of the scalar table: its fraction of the bins and its value.
  const auto& s = m_scalars[targetIndex(t)];
  std::string fractions, shares;
  for (const auto& def : core::structureScalars()) {
    if (def.formula != core::scalar_formula::lowFrequencyShare) continue;
    const double p = def.parameter;
    const auto cutoff = std::lround(p * static_cast<double>(bins));
    fractions += (fractions.empty() ? "" : "/") + format("%.0f", 100 * p);
    shares += (shares.empty() ? " " : " / ") + format("%.0f%%", 100 * s[def.id]);
    if (cutoff >= 2)
      chart.markers.push_back({static_cast<double>(cutoff) - 0.5, format("%.0f%%", 100 * p)});
  }
  chart.note = a.kinds[static_cast<std::size_t>(t.kind)] + " energy in lowest " + fractions +
               "% bins:" + shares;
  return chart;
}

LineChart AtlasData::singularValues(const AtlasTarget& t) const {
  const auto& a = *m_analysis;
  LineChart chart;
  chart.xLabel = "index";
  chart.yLabel = "singular value";
  chart.logY = true;
  for (std::size_t k = 0; k < a.kinds.size(); ++k) {
    const auto y = row("singular", t.layer, t.head, static_cast<int>(k));
    chart.series.push_back(
        kindSeries(a.kinds[k], static_cast<int>(k), range(y.size(), 1), toDouble(y)));
    const double rank =
        scalar(core::StructureScalar::EffectiveRank, {t.layer, t.head, static_cast<int>(k)});
    chart.note += (k ? ", " : "eff. rank ") + a.kinds[k] + format(" %.1f", rank);
    chart.markers.push_back({rank, a.kinds[k]});
  }
  return chart;
}

BarChart AtlasData::dimensionMagnitudes(const AtlasTarget& t) const {
  const auto& a = *m_analysis;
  const std::string& kind = a.kinds[static_cast<std::size_t>(t.kind)];
  BarChart chart;
  chart.xLabel = "dimension";
  chart.yLabel = "|" + kind + "|";
  chart.x = range(static_cast<std::size_t>(a.headDim), 0);
  chart.sets.push_back({toDouble(row("dim_max_abs", t.layer, t.head, t.kind)), "max |x|", 3});
  chart.sets.push_back({toDouble(row("dim_mean_abs", t.layer, t.head, t.kind)), "mean |x|", 0});
  if (kind == "V") return chart;  // RoPE rotates keys only
  const std::int64_t D = a.headDim, half = D / 2;
  const bool interleaved = a.ropeLayout == "interleaved";
  for (std::int64_t d = 0; d < D; ++d) {
    const std::int64_t pair = interleaved ? d / 2 : d % half;
    if (pair % 2 == 0)
      chart.shaded.push_back({static_cast<double>(d) - 0.5, static_cast<double>(d) + 0.5});
  }
  if (interleaved) {
    chart.note = "RoPE pairs (2i, 2i+1): every other pair shaded";
  } else {
    chart.note = "RoPE pairs (i, i+" + std::to_string(half) + "): same shading in both halves";
    chart.markers.push_back({static_cast<double>(half) - 0.5, "rotate_half"});
  }
  return chart;
}

namespace {
// An empty bar chart; its note says the queries are missing when `available` is false.
BarChart queryChart(const char* xLabel, const char* yLabel, bool available) {
  BarChart chart;
  chart.xLabel = xLabel;
  chart.yLabel = yLabel;
  if (!available) chart.note = "needs the capture's queries (not stored)";
  return chart;
}
}  // namespace

BarChart AtlasData::attentionSinks(const AtlasTarget& t) const {
  auto chart = queryChart("token position", "share of attention", m_analysis->has("sink_share"));
  if (!m_analysis->has("sink_share")) return chart;
  const auto share = slice(m_analysis->array("sink_share"), {t.layer, t.head});
  chart.x = range(share.size(), 0);
  chart.sets.push_back({toDouble(share), "sink share", 2});
  const auto top = std::max_element(share.begin(), share.end());
  chart.note = "most attended: token " + std::to_string(top - share.begin()) +
               format(" (%.1f%% of attention)", 100.0 * *top);
  return chart;
}

BarChart AtlasData::dimensionSensitivity(const AtlasTarget& t) const {
  auto chart =
      queryChart("dimension", "relative output change", m_analysis->has("dim_sensitivity"));
  if (!m_analysis->has("dim_sensitivity")) return chart;
  const auto& a = m_analysis->array("dim_sensitivity");
  chart.x = range(static_cast<std::size_t>(a.shape[3]), 0);
  chart.grouped = true;
  chart.sets.push_back({toDouble(slice(a, {t.layer, t.head, 0})), "K", 0});
  chart.sets.push_back({toDouble(slice(a, {t.layer, t.head, 1})), "V", 1});
  return chart;
}

LineChart layerProfile(const std::vector<const AtlasData*>& atlases, core::StructureScalar metric,
                       Spread spread, const ProfileFocus& focus) {
  LineChart chart;
  chart.title = std::string(core::structureScalar(metric).title) + " across layers";
  chart.xLabel = "layer";
  chart.integerX = true;
  const bool byCapture = atlases.size() > 1;
  chart.yLabel = "mean over heads";
  const std::string band = spread == Spread::MinMax ? "min–max over heads" : "± std over heads";
  if (byCapture) chart.note = "solid: K, dashed: V";
  if (byCapture && focus.capture) chart.note += "; band: " + focus.capture->label() + " " + band;
  if (!byCapture) chart.note = "band: " + band;
  const auto name = [&](const AtlasData* atlas) {
    const auto same = std::count_if(atlases.begin(), atlases.end(), [&](const AtlasData* other) {
      return other->label() == atlas->label();
    });
    return same > 1 ? atlas->analysis().capture : atlas->label();
  };
  for (std::size_t c = 0; c < atlases.size(); ++c) {
    const auto& a = atlases[c]->analysis();
    for (int k = 0; k < std::min<int>(2, static_cast<int>(a.kinds.size())); ++k) {
      Band band;
      Series line;
      for (int l = 0; l < a.layers; ++l) {
        std::vector<double> v;
        for (int h = 0; h < a.heads; ++h) {
          const double x = atlases[c]->scalar(metric, {l, h, k});
          if (std::isfinite(x)) v.push_back(x);
        }
        const double n = static_cast<double>(v.size());
        const double mean = v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / n;
        double low = kNaN, high = kNaN;
        if (!v.empty() && spread == Spread::MinMax) {
          low = *std::min_element(v.begin(), v.end());
          high = *std::max_element(v.begin(), v.end());
        } else if (!v.empty()) {
          double sq = 0;
          for (double x : v) sq += (x - mean) * (x - mean);
          const double sd = std::sqrt(sq / n);
          low = mean - sd;
          high = mean + sd;
        }
        line.x.push_back(l);
        line.y.push_back(mean);
        band.x.push_back(l);
        band.low.push_back(low);
        band.high.push_back(high);
      }
      const int colour = byCapture ? static_cast<int>(c) : k;
      line.label = (byCapture ? name(atlases[c]) + " " : std::string()) +
                   a.kinds[static_cast<std::size_t>(k)];
      line.colour = band.colour = colour;
      line.dashed = k == 1;
      line.inLegend = !byCapture || k == 0;  // one entry per capture; the note explains the dashes
      if (!byCapture || (focus.capture && a.capture == focus.capture->analysis().capture))
        chart.bands.push_back(std::move(band));
      chart.series.push_back(std::move(line));
    }
  }
  if (focus.layer >= 0) chart.markers.push_back({static_cast<double>(focus.layer), "selected"});
  return chart;
}

}  // namespace kvwb::widgets
