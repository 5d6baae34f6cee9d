// The fit metric table (see fit_metric_table.h).
#include "core/project/fit_metric_table.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace kvwb::core {
namespace {

constexpr FitMetricDef kMetrics[] = {
#define KVWB_FIT_METRIC_DEF(id, column, title, unit, better, format, logScale, aggregate) \
  {FitMetric::id, column, title, unit, Better::better, format, logScale, Aggregate::aggregate},
    KVWB_FIT_METRICS(KVWB_FIT_METRIC_DEF)
#undef KVWB_FIT_METRIC_DEF
};
static_assert(std::size(kMetrics) == kFitMetricCount);

}  // namespace

std::span<const FitMetricDef> fitMetrics() { return kMetrics; }

const FitMetricDef& fitMetric(FitMetric id) { return kMetrics[static_cast<std::size_t>(id)]; }

const FitMetricDef* findFitMetric(std::string_view column) {
  for (const auto& m : kMetrics)
    if (column == m.column) return &m;
  return nullptr;
}

std::string formatMetric(FitMetric id, double value) {
  if (std::isnan(value)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, fitMetric(id).format, value);
  return buf;
}

}  // namespace kvwb::core
