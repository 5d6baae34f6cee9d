// Sweep spec parsing and validation (see sweep_spec.h).
#include "core/sweep/sweep_spec.h"

#include <algorithm>
#include <fstream>
#include <type_traits>

#include "core/base/errors.h"
#include "core/compress/method_descriptor.h"

namespace kvwb::core {
namespace {

// Throws naming `where` when `object` has a key outside `known`, with the closest known one.
void checkKeys(const nlohmann::json& object, const std::vector<std::string>& known,
               const std::string& origin, const std::string& where) {
  if (!object.is_object()) throw InputError(origin, where + " must be a JSON object, got " + object.dump());
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto guess = closestWord(key, known);
    throw InputError(origin, where + ": unknown key '" + key + "'" +
                                 (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
  }
}

template <typename T>
std::vector<T> listOf(const nlohmann::json& j, const char* field, const std::string& origin) {
  if (!j.contains(field) || (j[field].is_string() && j[field] == "all")) return {};
  if (!j[field].is_array()) throw InputError(origin, std::string("'") + field + "' must be a list or \"all\"");
  try {
    return j[field].get<std::vector<T>>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(origin, std::string("'") + field + "' must list " +
                                 (std::is_same_v<T, std::string> ? "names" : "integers") + ", got " + j[field].dump());
  }
}

template <typename T>
T valueOf(const nlohmann::json& j, const char* field, T fallback, const std::string& origin,
          const std::string& where) {
  if (!j.contains(field)) return fallback;
  try {
    return j[field].get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(origin, where + field + " has the wrong type: " + j[field].dump());
  }
}

// Every grid point of `m` against its descriptor.
void validateMethod(const SweepMethod& m, std::size_t index, const std::string& origin) {
  const std::string where = "methods[" + std::to_string(index) + "]";
  const MethodDescriptor* descriptor = nullptr;
  try {
    descriptor = &methodDescriptor(m.method);
  } catch (const std::invalid_argument& e) {
    throw InputError(origin, where + ": " + e.what());
  }
  if (!m.params.is_object()) throw InputError(origin, where + " (" + m.method + "): 'params' must be a JSON object");
  if (!m.grid.is_object()) throw InputError(origin, where + " (" + m.method + "): 'grid' must be a JSON object");
  for (const auto& [name, values] : m.grid.items())
    if (!values.is_array() || values.empty())
      throw InputError(origin, where + ": grid '" + name + "' of " + m.method + " must be a non-empty list");
  for (const auto& point : expandGrid(m.grid)) {
    auto params = m.params;
    params.update(point);
    try {
      validateParams(*descriptor, params);
    } catch (const ParamError& e) {
      throw InputError(origin, where + " " + e.what());
    }
  }
}

}  // namespace

std::vector<nlohmann::json> expandGrid(const nlohmann::json& grid) {
  std::vector<nlohmann::json> points = {nlohmann::json::object()};
  for (const auto& [name, values] : grid.items()) {
    std::vector<nlohmann::json> next;
    for (const auto& p : points)
      for (const auto& v : values) {
        auto q = p;
        q[name] = v;
        next.push_back(q);
      }
    points = std::move(next);
  }
  return points;
}

SweepSpec parseSweepSpec(const nlohmann::json& j, const std::string& origin) {
  if (!j.is_object()) throw InputError(origin, "a sweep spec is a JSON object");
  checkKeys(j, {"name", "description", "captures", "targets", "seq_lengths", "methods", "metrics", "device", "seed"},
            origin, "the spec");
  SweepSpec s;
  s.origin = origin;
  s.source = j;
  s.name = valueOf<std::string>(j, "name", "sweep", origin, "");
  if (s.name.empty() || s.name.find_first_of("/. ") != std::string::npos)
    throw InputError(origin, "'name' must be non-empty without '/', '.' or spaces");
  s.captures = listOf<std::string>(j, "captures", origin);
  const auto targets = j.value("targets", nlohmann::json::object());
  checkKeys(targets, {"layers", "heads", "kinds"}, origin, "targets");
  s.layers = listOf<int>(targets, "layers", origin);
  s.heads = listOf<int>(targets, "heads", origin);
  if (targets.contains("kinds")) s.kinds = listOf<std::string>(targets, "kinds", origin);
  for (const auto& k : s.kinds)
    if (k != "K" && k != "V") throw InputError(origin, "targets.kinds holds '" + k + "' (use K and V)");
  s.seqLengths = listOf<int>(j, "seq_lengths", origin);
  const auto metrics = j.value("metrics", nlohmann::json::object());
  checkKeys(metrics, {"attention", "delta_ppl", "ppl_tokens", "quality"}, origin, "metrics");
  s.attentionMetrics = valueOf<bool>(metrics, "attention", true, origin, "metrics.");
  s.deltaPpl = valueOf<std::string>(metrics, "delta_ppl", "job", origin, "metrics.");
  if (s.deltaPpl != "none" && s.deltaPpl != "job" && s.deltaPpl != "per_target")
    throw InputError(origin, "metrics.delta_ppl must be none, job or per_target");
  s.pplTokens = valueOf<int>(metrics, "ppl_tokens", 64, origin, "metrics.");
  if (s.pplTokens < 1) throw InputError(origin, "metrics.ppl_tokens must be at least 1, got " + std::to_string(s.pplTokens));
  const auto quality = metrics.value("quality", nlohmann::json::object());
  s.quality = !(quality == "none" || quality == false);
  if (s.quality) try {
      s.qualityWindows = parseWindowSpec(quality.is_boolean() ? nlohmann::json::object() : quality);
    } catch (const std::invalid_argument& e) {
      throw InputError(origin, std::string("metrics.quality: ") + e.what());
    }
  s.device = valueOf<std::string>(j, "device", "auto", origin, "");
  s.seed = valueOf<std::uint64_t>(j, "seed", 0, origin, "");
  if (!j.contains("methods") || !j["methods"].is_array() || j["methods"].empty())
    throw InputError(origin, "'methods' must list at least one method");
  for (const auto& m : j["methods"]) {
    const std::string where = "methods[" + std::to_string(s.methods.size()) + "]";
    checkKeys(m, {"method", "params", "grid", "quality"}, origin, where);
    SweepMethod sm;
    sm.method = valueOf<std::string>(m, "method", "", origin, where + ".");
    sm.params = m.value("params", nlohmann::json::object());
    sm.grid = m.value("grid", nlohmann::json::object());
    sm.qualityOverride = m.value("quality", nlohmann::json());
    if (sm.qualityOverride.is_null()) {
      if (s.quality) sm.quality = s.qualityWindows;
    } else if (sm.qualityOverride != "none" && sm.qualityOverride != false) {
      auto merged = s.quality ? toJson(s.qualityWindows) : nlohmann::json::object();
      if (!sm.qualityOverride.is_boolean()) {
        if (!sm.qualityOverride.is_object())
          throw InputError(origin, where + ".quality must be a JSON object or \"none\", got " + sm.qualityOverride.dump());
        merged.update(sm.qualityOverride);
      }
      try {
        sm.quality = parseWindowSpec(merged);
      } catch (const std::invalid_argument& e) {
        throw InputError(origin, where + ".quality: " + e.what());
      }
    }
    validateMethod(sm, s.methods.size(), origin);
    s.methods.push_back(std::move(sm));
  }
  return s;
}

SweepSpec loadSweepSpec(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "cannot read sweep spec");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, std::string("not valid JSON: ") + e.what());
  }
  return parseSweepSpec(j, file.string());
}

void overrideSweepParam(SweepSpec& spec, const std::string& key, const nlohmann::json& value) {
  bool found = false;
  auto source = spec.source;
  for (std::size_t i = 0; i < spec.methods.size(); ++i) {
    auto m = spec.methods[i];
    if (!m.params.contains(key) && !m.grid.contains(key)) continue;
    m.grid.erase(key);
    m.params[key] = value;
    source["methods"][i] = {{"method", m.method}, {"params", m.params}, {"grid", m.grid}};
    found = true;
  }
  if (!found) throw InputError(spec.origin, "no method of the sweep has a parameter '" + key + "' to set");
  auto parsed = parseSweepSpec(source, spec.origin + " with " + key + "=" + value.dump());
  parsed.origin = spec.origin;
  spec = std::move(parsed);
}

}  // namespace kvwb::core
