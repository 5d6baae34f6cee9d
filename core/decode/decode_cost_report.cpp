// Predicted decode cost per sweep job (see decode_cost_report.h).
#include "core/decode/decode_cost_report.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "core/base/errors.h"
#include "core/reports/results_csv.h"
#include "core/reports/results_summary.h"
#include "core/sweep/sweep_spec.h"

namespace kvwb::core {
namespace {

DecodeCost times(const DecodeCost& c, double n) { return {c.bytes * n, c.flops * n, c.elementwiseOps * n}; }

// The keys of `params` that `method` declares (bookkeeping such as job and seq_len left out).
nlohmann::json declaredParams(const MethodDescriptor& method, const nlohmann::json& params) {
  auto out = nlohmann::json::object();
  if (params.is_object())
    for (const auto& [key, value] : params.items())
      if (method.param(key)) out[key] = value;
  return out;
}

DecodeCostRow finished(DecodeCostRow row, const DecodeCost& raw, const DeviceProfile& device) {
  row.predicted = predictDecode(row.cost, device);
  row.speedup = predictDecode(raw, device).micros / row.predicted.micros;
  return row;
}

DecodeCostRow rawRow(const CaptureInfo& capture, std::int64_t context, const DeviceProfile& device) {
  const auto shape = cacheShape(capture);
  DecodeCostRow row;
  row.capture = capture.name;
  row.method = "raw float16";
  row.targets = 2 * shape.kvHeadsInAll();
  row.cost = rawCacheStep(shape, context);
  const auto raw = row.cost;
  return finished(std::move(row), raw, device);
}

// `keys` and `values` of the capture's targets read through `method` at `params`, the rest raw.
DecodeCostRow methodRow(const CaptureInfo& capture, const MethodDescriptor& method, const nlohmann::json& params,
                        std::int64_t keys, std::int64_t values, std::int64_t context, const DeviceProfile& device) {
  const auto shape = cacheShape(capture);
  const auto heads = shape.kvHeadsInAll();
  DecodeCostRow row;
  row.capture = capture.name;
  row.method = method.name;
  row.paramsJson = declaredParams(method, params).dump();
  row.params = paramsText(row.paramsJson);
  row.compressedTargets = keys + values;
  row.targets = 2 * heads;
  if (!method.decodeCost) row.note = "no decode-cost model";
  DecodeShape side{context, shape.dims, shape.queryGroup, KvKind::Keys};
  row.cost = times(estimateDecodeCost(method, params, side), static_cast<double>(keys));
  row.cost += times(denseDecodeCost(side, 2), static_cast<double>(heads - keys));
  side.kind = KvKind::Values;
  row.cost += times(estimateDecodeCost(method, params, side), static_cast<double>(values));
  row.cost += times(denseDecodeCost(side, 2), static_cast<double>(heads - values));
  row.cost += times(softmaxCost(context, shape.queryGroup), static_cast<double>(heads));
  return finished(std::move(row), rawCacheStep(shape, context), device);
}

// One sweep job of a run: its requested parameters and how many key and value targets it fit.
struct JobTargets {
  nlohmann::json params;
  bool fromAggregate = false;
  std::int64_t keys = 0, values = 0;
  std::string infeasible;
};

std::string si(double v) {
  if (!std::isfinite(v)) return "";
  static const char* prefixes[] = {"", " k", " M", " G", " T", " P"};
  int i = 0;
  while (std::fabs(v) >= 1000 && i < 5) v /= 1000, ++i;
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%s", v, prefixes[i]);
  return text;
}

std::string fixed(const char* format, double v) {
  if (!std::isfinite(v)) return "";
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

const char* boundOf(const DecodeCostRow& row) {
  return std::isfinite(row.predicted.micros) ? (row.predicted.memoryBound() ? "memory" : "compute") : "";
}

}  // namespace

DecodeCostReport decodeCostOfRuns(const Project& project, const std::vector<RunInfo>& runs, std::int64_t context,
                                  const DeviceProfile& device) {
  DecodeCostReport report{context, device, {}, {}};
  std::map<std::string, bool> capturesListed;
  for (const auto& [run, rows] : loadRunResults(project, runs)) {
    const auto& capture = project.capture(run.capture);
    if (!capturesListed[capture.name]) {
      report.rows.push_back(rawRow(capture, context, device));
      capturesListed[capture.name] = true;
    }
    const MethodDescriptor* method = nullptr;
    try {
      method = &methodDescriptor(run.method);
    } catch (const std::invalid_argument& e) {
      throw InputError(project.path(), "run '" + run.id + "': " + e.what());
    }
    std::vector<std::string> order;
    std::map<std::string, JobTargets> jobs;
    for (const auto& row : rows) {
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      const auto key = params.is_object() ? params.value("job", std::string()) : std::string();
      if (!jobs.count(key)) order.push_back(key);
      auto& job = jobs[key];
      if (params.is_object() && params.contains("infeasible")) job.infeasible = params["infeasible"].dump();
      if (row.layer < 0) {
        job.params = params, job.fromAggregate = true;
        continue;
      }
      if (!job.fromAggregate && job.params.is_null()) job.params = params;
      if (row.kind == "K") ++job.keys;
      if (row.kind == "V") ++job.values;
    }
    for (const auto& key : order) {
      const auto& job = jobs[key];
      DecodeCostRow out;
      if (job.infeasible.empty() && job.keys + job.values > 0) {
        out = methodRow(capture, *method, job.params, job.keys, job.values, context, device);
      } else {
        out.capture = capture.name, out.method = method->name;
        out.paramsJson = declaredParams(*method, job.params).dump();
        out.params = paramsText(out.paramsJson);
        out.cost = {kNotMeasured, kNotMeasured, kNotMeasured};
        out.predicted = {kNotMeasured, kNotMeasured, kNotMeasured};
        out.note = job.infeasible.empty() ? "no key or value targets" : "infeasible: " + job.infeasible;
      }
      out.run = run.id;
      out.job = key;
      report.rows.push_back(std::move(out));
    }
  }
  return report;
}

DecodeCostReport decodeCostOfMethods(const CaptureInfo& capture, std::int64_t context, const DeviceProfile& device) {
  DecodeCostReport report{context, device, {rawRow(capture, context, device)},
                          "no runs: the raw cache and each method's default grid (kvwb-cli methods) at the shape "
                          "of capture '" + capture.name + "', every target compressed"};
  const auto heads = cacheShape(capture).kvHeadsInAll();
  for (const auto* method : methodDescriptors()) {
    if (!method->decodeCost || method->generated) continue;  // generated: no grid, a tool's output
    for (const auto& point : expandGrid(method->defaultGrid))
      report.rows.push_back(methodRow(capture, *method, point, heads, heads, context, device));
  }
  return report;
}

void writeDecodeCostMarkdown(const DecodeCostReport& report, std::ostream& out) {
  out << "| capture | method | params | targets compressed | bytes/step | FLOPs/step | elementwise ops/step | "
         "decode µs (predicted, "
      << report.device.name << ") | bound | speed-up vs raw | note |\n"
      << "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |\n";
  for (const auto& r : report.rows)
    out << "| " << r.capture << " | " << r.method << " | " << r.params << " | " << r.compressedTargets << "/"
        << r.targets << " | " << si(r.cost.bytes) << " | " << si(r.cost.flops) << " | " << si(r.cost.elementwiseOps)
        << " | " << fixed("%.4g", r.predicted.micros) << " | " << boundOf(r) << " | " << fixed("%.3gx", r.speedup)
        << " | " << r.note << " |\n";
  out << "\nOne decode step of the whole cache at context " << report.context << " tokens on " << report.device.title
      << " (" << si(report.device.bandwidth) << "B/s, " << si(report.device.matrixFlops) << "FLOP/s matrix, "
      << si(report.device.vectorFlops) << "FLOP/s vector; " << report.device.source
      << "). Roofline: the larger of bytes / bandwidth and FLOPs / matrix peak + elementwise ops / (vector peak / 2); "
         "docs/DECODE_COST.md.\n";
  if (!report.note.empty()) out << "\nNote: " << report.note << ".\n";
}

void writeDecodeCostCsv(const DecodeCostReport& report, std::ostream& out) {
  out << "run,capture,method,job,params,context,device,compressed_targets,targets,bytes_per_step,flops_per_step,"
         "elementwise_ops_per_step,memory_us,compute_us,predicted_us,bound,speedup_vs_raw,note\n";
  for (const auto& r : report.rows)
    out << csvField(r.run) << ',' << csvField(r.capture) << ',' << csvField(r.method) << ',' << csvField(r.job) << ','
        << csvField(r.paramsJson) << ',' << report.context << ',' << csvField(report.device.name) << ','
        << r.compressedTargets << ',' << r.targets << ',' << csvNumber(r.cost.bytes) << ','
        << csvNumber(r.cost.flops) << ',' << csvNumber(r.cost.elementwiseOps) << ','
        << csvNumber(r.predicted.memoryMicros) << ',' << csvNumber(r.predicted.computeMicros) << ','
        << csvNumber(r.predicted.micros) << ',' << boundOf(r) << ',' << csvNumber(r.speedup) << ','
        << csvField(r.note) << '\n';
}

}  // namespace kvwb::core
