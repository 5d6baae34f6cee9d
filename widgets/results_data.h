// Result rows of a project's runs as the results views use them (no Qt): each row with its run,
// and the numeric axes the table, Pareto, scatter and parallel-coordinates views choose from:
// every fit metric of core::fitMetrics() in table order, then the row's coordinates (layer, head,
// sequence length), defined once here; and the predicted decode time per sweep job
// (core::decodeCostOfRuns) as an axis of its own. Plain data and functions, any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decode/decode_cost_report.h"
#include "core/project/project.h"
#include "core/reports/results_csv.h"

namespace kvwb::widgets {

// One result row of one run. The job aggregate (every target of a sweep job compressed at once)
// has layer = head = -1 and kind "all".
struct ResultEntry {
  std::string runId, capture, method;
  core::ResultRow row;
  bool aggregate() const { return row.layer < 0; }
};

// Every row of `runs` (read once with core::loadRunResults), in the order given.
std::vector<ResultEntry> resultEntries(const std::vector<core::RunResults>& runs);

// A numeric quantity of a result row: a fit metric or a coordinate of the row.
struct ResultAxis {
  std::string name;   // the metric's column ("cos_sim"), or "layer", "head", "seq_len"
  std::string title;  // "cosine similarity"
  std::string unit;   // "" = none
  core::Better better = core::Better::Neither;
  bool logScale = false;
  std::optional<core::FitMetric> metric;            // set for the fit metrics
  std::function<double(const ResultEntry&)> value;  // NaN when not measured

  std::string label() const;  // the title with its unit: "fit time (s)"
  bool higherIsBetter() const { return better == core::Better::Higher; }
};

// Every fit metric in table order, then layer, head and sequence length.
const std::vector<ResultAxis>& resultAxes();
const ResultAxis& resultAxis(core::FitMetric metric);
int axisIndex(std::string_view name);  // index in resultAxes(), -1 when unknown

// The sweep job a row belongs to: its parameters' "job" key ("" when none), as core reports it.
std::string jobOf(const ResultEntry& entry);

// The predicted time of one decode step of each sweep job's whole cache at context L on a device
// (core::decodeCostOfRuns), by run and job. Made once per change of the runs, device or context.
struct DecodeTimes {
  std::int64_t context = 0;
  core::DeviceProfile device;
  std::map<std::pair<std::string, std::string>, double> micros;  // (run id, job) -> µs
  std::map<std::string, double> rawMicros;  // capture -> its raw float16 cache's µs
  // "raw float16 cache: 25 µs" (per capture, named when several); "" without runs.
  std::string rawText() const;
  double at(const std::string& run, const std::string& job) const;  // NaN when not predicted
  double of(const ResultEntry& entry) const { return at(entry.runId, jobOf(entry)); }
};
// A device profile's name as labels show it, in capitals: "H100".
std::string deviceLabel(std::string_view deviceName);
// kvwb-cli decode-cost requires both; these are its documented example (README, --context 131072
// --device h100).
inline constexpr std::int64_t kDefaultDecodeContext = 131072;
inline constexpr const char* kDefaultDecodeDevice = "h100";
// Throws what decodeCostOfRuns and core::deviceProfile throw (unknown device or method).
DecodeTimes predictDecodeTimes(const core::Project& project, const std::vector<core::RunInfo>& runs,
                               std::int64_t context, const std::string& device);

// "decode time (predicted, H100)" in µs, lower better, log scale. A job aggregate has its job's
// time; so has each per-target row: the prediction is for the whole cache the job compressed, so
// per-target points stand in a column at their job's cost and show how their quality spreads there.
inline constexpr std::string_view kDecodeAxisName = "decode_us_predicted";
ResultAxis decodeTimeAxis(std::shared_ptr<const DecodeTimes> times);

}  // namespace kvwb::widgets
