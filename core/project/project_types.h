// Plain structs describing a project's contents: captures, runs and result rows. These cross the
// core/GUI boundary, so they use std types only.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <cstdint>
#include <string>
#include <vector>

#include "core/project/fit_metric_table.h"

namespace kvwb::core {

// The tensors a capture may hold. Stored as /captures/<name>/<datasetName(kind)> [L, H, T, D].
enum class TensorKind { Keys, Values, Queries, KeysPreRope };
const char* datasetName(TensorKind kind);  // "keys", "values", "queries", "keys_prerope"
const char* shortName(TensorKind kind);    // "K", "V", "Q", "Kpre"

struct CaptureInfo {
  std::string name;
  std::int64_t layers = 0, kvHeads = 0, queryHeads = 0, tokens = 0, headDim = 0;
  bool hasQueries = false, hasKeysPreRope = false;
  std::string storageDtype = "float32";  // "float16" or "float32"
  std::string metadataJson = "{}";       // model, config, rope_theta, prompt label, source, text
};

// A row-major matrix of float32, e.g. one target (T tokens x D dims).
struct FloatMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> data;
  float at(std::int64_t r, std::int64_t c) const { return data[r * cols + c]; }
};

// A named float32 array with its shape (analysis results).
struct NamedArray {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

struct RunInfo {
  std::string id, method, paramsJson = "{}", capture, created, device, softwareVersion;
  std::string status = "running";  // running | finished | cancelled | failed
  std::int64_t resultCount = 0;
};

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// One fit of one target; NaN where a metric was not measured. Metrics are indexed by FitMetric
// (fit_metric_table.h): row[FitMetric::CosSim].
struct ResultRow {
  std::int32_t layer = 0, head = 0;
  std::string kind = "K";           // K, V, Kpre; "all" for a job's aggregate row
  std::string paramsJson = "{}";    // method parameters of this fit (rank, bits, width, ...)
  std::array<double, kFitMetricCount> metrics = MetricValues::notMeasured();
  std::string device;

  double& operator[](FitMetric m) { return metrics[static_cast<std::size_t>(m)]; }
  double operator[](FitMetric m) const { return metrics[static_cast<std::size_t>(m)]; }
};

}  // namespace kvwb::core
