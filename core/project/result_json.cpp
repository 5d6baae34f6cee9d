// JSON (de)serialisation of runs and result rows.
#include "core/project/result_json.h"

#include "core/base/json_int.h"

namespace kvwb::core {
namespace {
double num(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || !it->is_number() ? kNotMeasured : it->get<double>();
}
}  // namespace

nlohmann::json runToJson(const RunInfo& r) {
  return {{"id", r.id}, {"method", r.method}, {"params", r.paramsJson}, {"capture", r.capture},
          {"created", r.created}, {"device", r.device}, {"software_version", r.softwareVersion},
          {"status", r.status}};
}

RunInfo runFromJson(const nlohmann::json& j) {
  RunInfo r;
  r.id = j.value("id", "");
  r.method = j.value("method", "");
  r.paramsJson = j.value("params", "{}");
  r.capture = j.value("capture", "");
  r.created = j.value("created", "");
  r.device = j.value("device", "");
  r.softwareVersion = j.value("software_version", "");
  r.status = j.value("status", "running");
  return r;
}

nlohmann::json resultToJson(const ResultRow& r) {
  nlohmann::json j = {
      {"layer", r.layer}, {"head", r.head}, {"kind", r.kind}, {"params", r.paramsJson}};
  for (const auto& m : fitMetrics()) j[m.column] = r[m.id];
  j["device"] = r.device;
  return j;
}

ResultRow resultFromJson(const nlohmann::json& j) {
  ResultRow r;
  r.layer = intAt(j, "layer", 0);
  r.head = intAt(j, "head", 0);
  r.kind = j.value("kind", "K");
  r.paramsJson = j.value("params", "{}");
  for (const auto& m : fitMetrics()) r[m.id] = num(j, m.column);
  r.device = j.value("device", "");
  return r;
}

}  // namespace kvwb::core
