// ResultEntry assembly and the result axes.
#include "widgets/results_data.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kvwb::widgets {

std::vector<ResultEntry> resultEntries(const std::vector<core::RunResults>& runs) {
  std::vector<ResultEntry> entries;
  for (const auto& [run, rows] : runs)
    for (const core::ResultRow& row : rows)
      entries.push_back({run.id, run.capture, run.method, row});
  return entries;
}

std::string ResultAxis::label() const { return unit.empty() ? title : title + " (" + unit + ")"; }

const std::vector<ResultAxis>& resultAxes() {
  static const std::vector<ResultAxis> axes = [] {
    std::vector<ResultAxis> list;
    for (const auto& m : core::fitMetrics())
      list.push_back({m.column, m.title, m.unit, m.better, m.logScale, m.id,
                      [id = m.id](const ResultEntry& e) { return e.row[id]; }});
    const auto coordinate = [&](const char* name, const char* title, auto value) {
      list.push_back({name, title, "", core::Better::Neither, false, std::nullopt, value});
    };
    coordinate("layer", "layer", [](const ResultEntry& e) { return double(e.row.layer); });
    coordinate("head", "head", [](const ResultEntry& e) { return double(e.row.head); });
    coordinate("seq_len", "sequence length", [](const ResultEntry& e) {
      const auto params = nlohmann::json::parse(e.row.paramsJson, nullptr, false);
      return params.is_object() && params.contains("seq_len") && params["seq_len"].is_number()
                 ? params["seq_len"].get<double>()
                 : core::kNotMeasured;
    });
    return list;
  }();
  return axes;
}

const ResultAxis& resultAxis(core::FitMetric metric) {
  const auto& axes = resultAxes();
  return *std::find_if(axes.begin(), axes.end(),
                       [&](const ResultAxis& a) { return a.metric == metric; });
}

int axisIndex(std::string_view name) {
  const auto& axes = resultAxes();
  const auto it =
      std::find_if(axes.begin(), axes.end(), [&](const ResultAxis& a) { return a.name == name; });
  return it == axes.end() ? -1 : static_cast<int>(it - axes.begin());
}

}  // namespace kvwb::widgets
