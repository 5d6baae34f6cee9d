// exportFigureSet: slices the project's analyses (AtlasData), runs and one comparison into plot
// data and exports each through an offscreen plot widget. The comparison is SIREN tiny against
// the SVD rank closest in bytes among those that compress (never the exact full rank); a pair
// more than 10% apart in bytes says so in its titles (CompareResult::bytesNote, panelTitle).
#include "widgets/figure_set.h"

#include <QDir>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/analysis/capture_analysis.h"
#include "core/project/project.h"
#include "core/reports/results_csv.h"
#include "widgets/atlas_data.h"
#include "widgets/compare_data.h"
#include "widgets/plots/heatmap_plot.h"
#include "widgets/plots/line_plot.h"
#include "widgets/plots/method_style.h"

namespace kvwb::widgets {
namespace {

// The mean over every layer and head of the last axis of `array` [L, H, kind, n] for `kind`,
// from entry `first` on.
std::vector<double> meanOverTargets(const core::CaptureAnalysis& a, const std::string& array,
                                    std::size_t kind, std::size_t first) {
  const core::NamedArray& values = a.array(array);
  const auto kinds = static_cast<std::size_t>(values.shape[2]);
  const auto n = static_cast<std::size_t>(values.shape[3]);
  const auto targets = static_cast<std::size_t>(values.shape[0] * values.shape[1]);
  std::vector<double> mean(n - first, 0.0);
  for (std::size_t target = 0; target < targets; ++target)
    for (std::size_t i = first; i < n; ++i)
      mean[i - first] += values.data[(target * kinds + kind) * n + i] / static_cast<double>(targets);
  return mean;
}

// K and V of every capture: colour per capture, V dashed; the legend names the captures.
LineChart kindCurves(const std::vector<std::shared_ptr<const AtlasData>>& atlases,
                     const std::string& array, std::size_t first) {
  LineChart chart;
  for (std::size_t c = 0; c < atlases.size(); ++c) {
    const core::CaptureAnalysis& a = atlases[c]->analysis();
    for (const std::string kind : {"K", "V"}) {
      const auto k = std::find(a.kinds.begin(), a.kinds.end(), kind) - a.kinds.begin();
      if (k == static_cast<std::ptrdiff_t>(a.kinds.size())) continue;
      Series s;
      s.y = meanOverTargets(a, array, static_cast<std::size_t>(k), first);
      for (std::size_t i = 0; i < s.y.size(); ++i) s.x.push_back(static_cast<double>(i + 1));
      s.label = atlases[c]->label();
      s.colour = static_cast<int>(c);
      s.dashed = kind == "V";
      s.inLegend = !s.dashed;
      chart.series.push_back(std::move(s));
    }
  }
  chart.note = "mean over layers and heads · solid K, dashed V";
  return chart;
}

// A heatmap with a note under its title (PlotWidget::setNote is for its subclasses).
class NotedHeatmap : public HeatmapPlot {
 public:
  using HeatmapPlot::setNote;
};

// Writes each figure, collecting the files and the failures.
class Writer {
 public:
  Writer(const QString& dir, FigureFormat format, const FigureOptions& options,
         FigureSetResult& result)
      : m_dir(dir), m_format(format), m_options(options), m_result(result) {}

  void write(PlotWidget& plot, const std::string& name) {
    const QString path =
        QDir(m_dir).filePath(QString::fromStdString(name) + QLatin1Char('.') + figureSuffix(m_format));
    QString error;
    if (exportPlot(plot, path, m_format, m_options, &error))
      m_result.files << path;
    else
      m_result.notes << error;
  }
  void line(const LineChart& chart, const std::string& name) {
    LinePlot plot;
    plot.setChart(chart);
    write(plot, name);
  }
  void heatmap(const HeatmapData& data, const std::string& name, const std::string& note = "") {
    NotedHeatmap plot;
    plot.setData(data);  // clears the note
    if (!note.empty()) plot.setNote(note);
    write(plot, name);
  }

 private:
  QString m_dir;
  FigureFormat m_format;
  FigureOptions m_options;
  FigureSetResult& m_result;
};

std::string fileName(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  return out;
}

std::string describe(const CompareFit& fit) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, "%s: cos %.3f at %.1f×", fit.label.c_str(),
                fit.row[core::FitMetric::CosSim], fit.row[core::FitMetric::Ratio]);
  return buffer;
}

}  // namespace

LineChart paretoFigure(const std::vector<ResultEntry>& entries) {
  const auto& x = core::fitMetric(core::FitMetric::Ratio);
  const auto& y = core::fitMetric(core::FitMetric::CosSim);
  std::map<std::string, std::vector<std::pair<double, double>>> points;
  for (const ResultEntry& e : entries)
    if (e.aggregate() && std::isfinite(e.row[x.id]) && std::isfinite(e.row[y.id]))
      points[e.method].emplace_back(e.row[x.id], e.row[y.id]);
  LineChart chart;
  chart.title = "Quality vs compression";
  chart.note = "one point per sweep job (every target of it)";
  chart.xLabel = std::string(x.title) + " (vs float16)";
  chart.yLabel = std::string("mean token ") + y.title;
  chart.logX = x.logScale;
  chart.logY = y.logScale;
  for (auto& [method, xy] : points) {
    std::sort(xy.begin(), xy.end());
    Series s;
    for (const auto& [px, py] : xy) {
      s.x.push_back(px);
      s.y.push_back(py);
    }
    s.label = method;
    const MethodStyle style = methodStyle(method);
    s.colour = style.colour;
    s.marker = style.shape;
    chart.series.push_back(std::move(s));
  }
  return chart;
}

FigureSetResult exportFigureSet(const std::filesystem::path& projectPath, const QString& dir,
                                FigureFormat format, const FigureOptions& options,
                                core::JobContext& ctx) {
  const auto project = core::Project::open(projectPath);
  FigureSetResult result;
  if (!QDir().mkpath(dir)) {
    result.notes << QObject::tr("cannot create the folder %1").arg(dir);
    return result;
  }
  Writer writer(dir, format, options, result);

  std::vector<std::shared_ptr<const AtlasData>> atlases;
  for (const core::CaptureInfo& capture : project.captures()) {
    auto analysis = core::loadAnalysis(project, capture.name);
    if (!analysis) {
      result.notes << QObject::tr("capture %1 has no structure analysis: no atlas figures")
                          .arg(QString::fromStdString(capture.name));
      continue;
    }
    atlases.push_back(std::make_shared<const AtlasData>(
        std::make_shared<const core::CaptureAnalysis>(std::move(*analysis)),
        AtlasData::displayLabel(capture)));
  }
  const auto lag1 = core::StructureScalar::Lag1Autocorr;
  const auto effectiveRank = core::StructureScalar::EffectiveRank;
  for (const auto& atlas : atlases) {
    ctx.checkCancelled();
    const std::string capture = fileName(atlas->analysis().capture);
    writer.heatmap(atlas->heatmap(lag1, HeatmapMode::SideBySide), "heatmap_lag1_" + capture);
    writer.heatmap(atlas->heatmap(effectiveRank, HeatmapMode::SideBySide),
                   "heatmap_effective_rank_" + capture);
  }
  if (!atlases.empty()) {
    LineChart autocorrelation = kindCurves(atlases, "autocorr", 0);
    autocorrelation.title = "Autocorrelation over token lag";
    autocorrelation.xLabel = "lag (tokens)";
    autocorrelation.yLabel = "mean Pearson r";
    writer.line(autocorrelation, "autocorrelation");
    LineChart spectrum = kindCurves(atlases, "spectrum", 1);  // bin 0, the mean, is zero
    spectrum.title = "Energy spectrum over tokens";
    spectrum.xLabel = "frequency (cycles per window)";
    spectrum.yLabel = "energy";
    spectrum.logX = spectrum.logY = true;
    writer.line(spectrum, "spectrum");
    std::vector<const AtlasData*> overlay;
    for (const auto& atlas : atlases) overlay.push_back(atlas.get());
    writer.line(layerProfile(overlay, lag1, Spread::StdDev), "layer_profile_lag1");
    writer.line(layerProfile(overlay, effectiveRank, Spread::StdDev),
                "layer_profile_effective_rank");
  }

  const LineChart pareto =
      paretoFigure(resultEntries(core::loadRunResults(project, project.runs())));
  if (pareto.series.empty())
    result.notes << QObject::tr("no finished sweep runs: no Pareto front");
  else
    writer.line(pareto, "pareto");

  if (project.captures().empty()) {
    result.notes << QObject::tr("no captures: no SIREN vs SVD comparison");
    return result;
  }
  const core::CaptureInfo& capture = project.captures().front();
  for (const std::string kind : {"K", "V"}) {
    ctx.checkCancelled();
    const auto pair = sirenVsSvd(projectPath, capture.name, static_cast<int>(capture.layers / 2),
                                 0, kind, "tiny", 150);
    const CompareResult compare = computeCompare(pair, "auto", ctx);
    // A pair more than 10% apart in bytes: the title says so, the note under it by how much.
    const std::string bytesNote = compare.bytesNote();
    LineChart chart = compare.dimensionChart(compare.busiestDim());
    chart.title = compare.title() + (bytesNote.empty() ? "" : "\nnot at equal bytes");
    chart.note = (bytesNote.empty() ? "" : bytesNote + "\n") + describe(compare.fits[0]) +
                 " · " + describe(compare.fits[1]);
    writer.line(chart, "siren_vs_svd_" + kind);
    writer.heatmap(compare.errorMap(), "siren_vs_svd_error_" + kind, bytesNote);
  }
  return result;
}

}  // namespace kvwb::widgets
