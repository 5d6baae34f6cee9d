// ResultEntry assembly, the result axes and the predicted decode time axis.
#include "widgets/results_data.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
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

std::string jobOf(const ResultEntry& entry) {
  const auto params = nlohmann::json::parse(entry.row.paramsJson, nullptr, false);
  const auto job = params.is_object() ? params.find("job") : params.end();
  return job != params.end() && job->is_string() ? job->get<std::string>() : std::string();
}

double DecodeTimes::at(const std::string& run, const std::string& job) const {
  const auto it = micros.find({run, job});
  return it == micros.end() ? core::kNotMeasured : it->second;
}

std::string DecodeTimes::rawText() const {
  std::string text;
  for (const auto& [capture, us] : rawMicros) {
    char value[32];
    std::snprintf(value, sizeof value, "%.3g µs", us);
    text += (text.empty() ? "" : ", ") + std::string(value) +
            (rawMicros.size() > 1 ? " (" + capture + ")" : "");
  }
  return text.empty() ? text : "raw float16 cache: " + text;
}

std::string deviceLabel(std::string_view deviceName) {
  std::string label(deviceName);
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return label;
}

DecodeTimes predictDecodeTimes(const core::Project& project, const std::vector<core::RunInfo>& runs,
                               std::int64_t context, const std::string& device) {
  const auto report = core::decodeCostOfRuns(project, runs, context, core::deviceProfile(device));
  DecodeTimes times{.context = context, .device = report.device};
  for (const core::DecodeCostRow& row : report.rows)
    if (row.run.empty())
      times.rawMicros[row.capture] = row.predicted.micros;
    else
      times.micros[{row.run, row.job}] = row.predicted.micros;
  return times;
}

ResultAxis decodeTimeAxis(std::shared_ptr<const DecodeTimes> times) {
  return {std::string(kDecodeAxisName),
          "decode time (predicted, " + deviceLabel(times->device.name) + ")",
          "µs",
          core::Better::Lower,
          true,
          std::nullopt,
          [times](const ResultEntry& e) { return times->of(e); }};
}

}  // namespace kvwb::widgets
