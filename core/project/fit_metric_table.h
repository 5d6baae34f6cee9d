// The fit metrics of a result row as one table (STYLE.md "Tables of definitions"): column name,
// title, unit, which direction is better, number format and axis scale. Every writer (journal
// JSON, HDF5 results table, CSV, summary) and every view (results table, Pareto, scatter,
// parallel coordinates, Compare) iterates fitMetrics(); nothing names a metric's position.
// A new metric is one KVWB_FIT_METRICS row plus the code that computes it. Constant; any thread.
//
//   for (const auto& m : fitMetrics()) out << m.column << '=' << row[m.id];
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace kvwb::core {

enum class Better { Higher, Lower, Neither };
// How a job's aggregate row (every target of the job compressed at once) gets the metric from its
// targets' rows: their sum, their mean, or measured or derived for the whole job (ratio from the
// summed bytes; Δ perplexity and the model-quality statistics over text windows, with every
// target substituted).
enum class Aggregate { Sum, Mean, Job };

// id, column (file and CLI name), title (axis and header), unit ("" = none), better, printf
// format, log-scaled axis by default, aggregate.
#define KVWB_FIT_METRICS(X)                                                                  \
  X(Bytes, "bytes", "bytes", "B", Lower, "%.0f", true, Sum)                                     \
  X(Ratio, "ratio", "compression ratio", "x", Higher, "%.3g", true, Job)                        \
  X(LnPplRatio, "ln_ppl_ratio", "ln(PPL_c / PPL_base)", "", Lower, "%.4g", false, Job)          \
  X(LnPplRatioSe, "ln_ppl_ratio_se", "ln PPL ratio std. error", "", Neither, "%.3g", false, Job) \
  X(Kld, "kld", "KL divergence", "nats", Lower, "%.4g", true, Job)                              \
  X(KldSe, "kld_se", "KL divergence std. error", "nats", Neither, "%.3g", false, Job)           \
  X(SameTop, "same_top", "same top token", "", Higher, "%.4f", false, Job)                      \
  X(SameTopSe, "same_top_se", "same top token std. error", "", Neither, "%.3g", false, Job)     \
  X(CosSim, "cos_sim", "cosine similarity", "", Higher, "%.5f", false, Mean)                    \
  X(RelErr, "rel_err", "relative error", "", Lower, "%.4g", false, Mean)                        \
  X(AttnOutErr, "attn_out_err", "attention output error", "", Lower, "%.4g", false, Mean)       \
  X(AttnKl, "attn_kl", "attention KL", "nats", Lower, "%.4g", false, Mean)                      \
  X(DeltaPpl, "delta_ppl", "Δ perplexity", "", Lower, "%.4g", false, Job)                       \
  X(PplRatio, "ppl_ratio", "PPL ratio", "", Lower, "%.4g", false, Job)                          \
  X(KldMedian, "kld_median", "KL divergence median", "nats", Lower, "%.4g", true, Job)          \
  X(KldP90, "kld_p90", "KL divergence 90th pct", "nats", Lower, "%.4g", true, Job)              \
  X(KldP99, "kld_p99", "KL divergence 99th pct", "nats", Lower, "%.4g", true, Job)              \
  X(KldMax, "kld_max", "KL divergence max", "nats", Lower, "%.4g", true, Job)                   \
  X(DeltaPMean, "delta_p", "Δp of the correct token", "", Higher, "%.4g", false, Job)           \
  X(DeltaPRms, "delta_p_rms", "RMS Δp of the correct token", "", Lower, "%.4g", false, Job)     \
  X(GreedySteps, "greedy_steps", "greedy steps to divergence", "tokens", Higher, "%.3g", false, Job) \
  X(GreedyAgree, "greedy_agree", "greedy agreement", "", Higher, "%.4f", false, Job)            \
  X(FitSeconds, "fit_seconds", "fit time", "s", Lower, "%.3g", true, Sum)                       \
  X(DecodeMs, "decode_ms", "decode time", "ms", Lower, "%.3g", true, Sum)

enum class FitMetric : std::size_t {
#define KVWB_FIT_METRIC_ID(id, ...) id,
  KVWB_FIT_METRICS(KVWB_FIT_METRIC_ID)
#undef KVWB_FIT_METRIC_ID
};

inline constexpr std::size_t kFitMetricCount = 0
#define KVWB_FIT_METRIC_COUNT(...) +1
    KVWB_FIT_METRICS(KVWB_FIT_METRIC_COUNT)
#undef KVWB_FIT_METRIC_COUNT
    ;

struct FitMetricDef {
  FitMetric id;
  const char* column;
  const char* title;
  const char* unit;
  Better better;
  const char* format;
  bool logScale;
  Aggregate aggregate;
};

// One value per fit metric, NaN where not measured: values[FitMetric::CosSim].
struct MetricValues {
  std::array<double, kFitMetricCount> values = notMeasured();
  double& operator[](FitMetric m) { return values[static_cast<std::size_t>(m)]; }
  double operator[](FitMetric m) const { return values[static_cast<std::size_t>(m)]; }
  static std::array<double, kFitMetricCount> notMeasured() {
    std::array<double, kFitMetricCount> a;
    a.fill(std::numeric_limits<double>::quiet_NaN());
    return a;
  }
};

// In table order (the order of CSV columns and default table columns).
std::span<const FitMetricDef> fitMetrics();
const FitMetricDef& fitMetric(FitMetric id);
const FitMetricDef* findFitMetric(std::string_view column);  // nullptr when unknown
// `value` printed with the metric's format ("" for NaN).
std::string formatMetric(FitMetric id, double value);

}  // namespace kvwb::core
