// Two fits of one capture target side by side (SIREN vs SVD at equal bytes by default): loads the
// target with its head's K, V and query group, fits both specs, measures them with
// core::computeFitMetrics and slices plot data. Plain C++ (no Qt); computeCompare runs on any one
// thread (a job); CompareResult is a value, its const methods are safe from any thread.
//
//   auto pair = kvwb::widgets::sirenVsSvd("demo.kvw", "fiction", 2, 1, "K");
//   auto result = kvwb::widgets::computeCompare(pair, "auto", ctx);
//   result.fits[1].params["rank"];  // the equal-bytes SVD rank
//   result.bytesNote();             // "" unless the closest SVD is more than 10% away in bytes
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/compress/compressor.h"
#include "core/compress/fit_metrics.h"
#include "core/base/job_context.h"
#include "core/project/project_types.h"
#include "core/reports/counterpart.h"
#include "widgets/plots/plot_data.h"

namespace kvwb::widgets {

// What to compare. `a` and `b` are {"method": ..., parameters...}. A spec may say
// {"equal_bytes": true} instead of its method's ratio parameter (a rank), or
// {"equal_bytes": "width"} to solve that integer parameter: it then gets the value whose byte
// estimate is closest to the other spec's ByteLedger total among those that compress the target
// (core::equalBytesValue); the other spec must not say equal_bytes too.
struct ComparePair {
  std::filesystem::path project;
  std::string capture;
  int layer = 0, head = 0;
  std::string kind = "K";  // "K" or "V"
  nlohmann::json a, b;
};

// SIREN of the seed configuration `sirenConfig` trained `epochs` epochs against SVD at equal bytes.
ComparePair sirenVsSvd(const std::filesystem::path& project, const std::string& capture,
                       int layer, int head, const std::string& kind,
                       const std::string& sirenConfig = "medium", int epochs = 500);

struct CompareFit {
  std::string method, label;           // label: "siren medium", "svd rank 3"
  nlohmann::json params;               // the effective parameters
  std::vector<float> reconstruction;   // [T, D] row-major
  core::ByteLedger bytes;              // itemised; row[Bytes] is its total
  core::ResultRow row;                 // the fit as a result row: every fit metric it measured
};

struct CompareResult {
  ComparePair pair;
  std::string device;
  std::int64_t tokens = 0, dims = 0;
  std::vector<float> original;  // [T, D]
  std::array<CompareFit, 2> fits;
  std::size_t reference = 0;  // the fit given as it is, whose bytes the other one matched
  bool searched = false;      // the other fit's size was found by an equal-bytes search

  // The two fits' bytes, and the note a title carries when they are not within 10% of each
  // other (core::pairingNote): "no svd within 10% of 19,296 B: closest svd rank 7 at ...".
  core::BytesPairing pairing() const;
  std::string bytesNote() const;  // "" at equal bytes
  // An error-map panel's title: the fit's label and bytes, the counterpart's with its change
  // from the reference's ("svd rank 7 · 7,294 B (−62%)").
  std::string panelTitle(std::size_t fit) const;

  int busiestDim() const;  // the dimension whose original varies most over the tokens
  // The original and both reconstructions of dimension `dim` over the tokens.
  LineChart dimensionChart(int dim) const;
  // |reconstruction − original|, dims (rows) x tokens (columns), one panel per fit on one scale,
  // titled panelTitle().
  HeatmapData errorMap() const;
  // The metric table: one row per fit metric (core::fitMetrics() order) that either fit
  // measured, its title with unit and the two fits' values in the metric's format ("—" = NaN).
  struct MetricRow {
    std::string name;
    std::array<std::string, 2> values;
  };
  std::vector<MetricRow> metricRows() const;
  // "fiction · layer 2 · head 1 · K: siren medium vs svd rank 3" (the bytes note is separate).
  std::string title() const;
};

// Loads, fits and measures. `device`: "auto", "cpu", "cuda:0". Throws core::InputError for a bad
// project, capture or target, std::invalid_argument for bad specs, core::Cancelled on cancel.
CompareResult computeCompare(const ComparePair& pair, const std::string& device,
                             core::JobContext& ctx);

}  // namespace kvwb::widgets
