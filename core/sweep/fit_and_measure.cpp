// Fit, measure, and rows per target (see fit_and_measure.h).
#include "core/sweep/fit_and_measure.h"

#include <cmath>

namespace kvwb::core {

MeasuredFit fitAndMeasure(Compressor& compressor, const KindBatch& batch, const nlohmann::json& params,
                          std::uint64_t seed, bool attentionMetrics, const std::string& device,
                          JobContext& ctx) {
  ctx.checkCancelled();
  MeasuredFit m;
  m.fit = compressor.fit(batch.targets, params, batch.fitInputs(seed), device, ctx);
  std::vector<float> recon;
  recon.reserve(batch.targets.data.size());
  for (const auto& t : m.fit.targets) recon.insert(recon.end(), t.reconstruction.begin(), t.reconstruction.end());
  const auto attention = batch.attention();
  const bool withAttention = attentionMetrics && batch.hasQueries;
  std::vector<std::vector<std::uint8_t>> kept;
  for (const auto& t : m.fit.targets) kept.push_back(t.kept);
  m.metrics = computeFitMetrics(batch.targets, recon, withAttention ? &attention : nullptr, device, kept);
  return m;
}

std::vector<ResultRow> targetRows(const MeasuredFit& measured, const KindBatch& batch, const nlohmann::json& params,
                                  const nlohmann::json& extra) {
  const auto& fit = measured.fit;
  const double n = static_cast<double>(batch.refs.size());
  const double raw = 2.0 * static_cast<double>(batch.targets.t) * static_cast<double>(batch.targets.d);
  std::vector<ResultRow> rows;
  for (std::size_t i = 0; i < batch.refs.size(); ++i) {
    ResultRow r;
    r.layer = batch.refs[i].layer;
    r.head = batch.refs[i].head;
    r.kind = batch.kind;
    const auto& own = fit.targets[i].params;
    auto p = own.is_object() ? own : fit.effectiveParams.is_object() ? fit.effectiveParams : params;
    p.update(extra);
    r.paramsJson = p.dump();
    r[FitMetric::Bytes] = fit.targets[i].bytes.total();
    r[FitMetric::Ratio] = raw / r[FitMetric::Bytes];
    for (const auto& m : fitMetrics())
      if (!std::isnan(measured.metrics[i][m.id])) r[m.id] = measured.metrics[i][m.id];
    r[FitMetric::FitSeconds] = fit.fitSeconds / n;
    r[FitMetric::DecodeMs] = fit.decodeMs / n;
    r.device = fit.device;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace kvwb::core
