// ResultEntry loading and metric access.
#include "widgets/results_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

namespace kvwb::widgets {

std::vector<ResultEntry> loadResults(const core::Project& project,
                                     const std::vector<std::string>& runIds) {
  const auto runs = project.runs();
  std::vector<ResultEntry> entries;
  for (const std::string& id : runIds) {
    const auto run = std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.id == id; });
    if (run == runs.end()) continue;  // not started yet (a running sweep) or removed
    for (core::ResultRow& row : project.results(id))
      entries.push_back({run->id, run->capture, run->method, std::move(row)});
  }
  return entries;
}

double metricValue(const ResultEntry& entry, Metric metric) {
  const core::ResultRow& r = entry.row;
  switch (metric) {
    case Metric::Bytes: return r.bytes;
    case Metric::Ratio: return r.ratio;
    case Metric::CosSim: return r.cosSim;
    case Metric::RelErr: return r.relErr;
    case Metric::AttnOutErr: return r.attnOutErr;
    case Metric::AttnKl: return r.attnKl;
    case Metric::DeltaPpl: return r.deltaPpl;
    case Metric::FitSeconds: return r.fitSeconds;
    case Metric::Layer: return r.layer;
    case Metric::Head: return r.head;
    case Metric::SeqLen: {
      const auto params = nlohmann::json::parse(r.paramsJson, nullptr, false);
      return params.is_object() && params.contains("seq_len") && params["seq_len"].is_number()
                 ? params["seq_len"].get<double>()
                 : core::kNotMeasured;
    }
  }
  return core::kNotMeasured;
}

const char* metricTitle(Metric metric) {
  static constexpr std::array<const char*, kMetricCount> kTitles = {
      "bytes", "compression ratio", "cosine similarity", "relative error", "attention output error",
      "attention KL", "Δ perplexity", "fit seconds", "layer", "head", "sequence length"};
  return kTitles[static_cast<std::size_t>(metric)];
}

bool higherIsBetter(Metric metric) { return metric == Metric::CosSim || metric == Metric::Ratio; }

bool logScale(Metric metric) { return metric == Metric::Bytes || metric == Metric::Ratio; }

}  // namespace kvwb::widgets
