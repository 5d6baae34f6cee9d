// Parameter declarations, their validation and the ratio solver (see method_descriptor.h).
#include "core/compress/method_descriptor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "core/compress/compress_params.h"  // shortNumber

namespace kvwb::core {
namespace {

std::string choicesText(const std::vector<nlohmann::json>& choices) {
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + (c.is_string() ? c.get<std::string>() : c.dump());
  return list;
}

bool isIntegral(const nlohmann::json& v) {
  return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                                   std::isfinite(v.get<double>()));
}

void checkRange(const MethodDescriptor& m, const ParamSpec& p, double x, const nlohmann::json& v) {
  if (!(x >= p.min && x <= p.max))
    throw ParamError(m.name, p.name,
                     "must be in [" + shortNumber(p.min) + ", " + shortNumber(p.max) + "], got " + v.dump());
}

// A nested method spec {"method": m, ...parameters} as parameter `key` of `m`.
void checkMethodSpec(const MethodDescriptor& m, const std::string& key, const nlohmann::json& v, bool allowHybrid) {
  if (!v.is_object()) throw ParamError(m.name, key, "must be a JSON object {\"method\": ..., parameters}, got " + v.dump());
  const auto it = v.find("method");
  if (it == v.end() || !it->is_string()) throw ParamError(m.name, key, "needs a \"method\" string");
  const MethodDescriptor* found = nullptr;
  try {
    found = &methodDescriptor(it->get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw ParamError(m.name, key, e.what());
  }
  const auto& inner = *found;
  if (inner.generated) throw ParamError(m.name, key, "cannot be " + inner.name + " (made by a tool)");
  if (!allowHybrid && inner.family == MethodFamily::Hybrid) throw ParamError(m.name, key, "cannot itself be a hybrid");
  auto rest = v;
  rest.erase("method");
  try {
    validateParams(inner, rest);
  } catch (const ParamError& e) {
    throw ParamError(m.name, key + "." + e.key(), e.problem());
  }
}

// A method per target: [{"layer", "head", "kind", ["capture"], "method", ...}], each target once.
void checkAssignment(const MethodDescriptor& m, const std::string& key, const nlohmann::json& v) {
  if (!v.is_array() || v.empty())
    throw ParamError(m.name, key, "must be a non-empty list of {\"layer\", \"head\", \"kind\", \"method\", ...}");
  std::set<std::tuple<std::string, std::int64_t, std::int64_t, std::string>> seen;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& e = v[i];
    const std::string at = key + "[" + std::to_string(i) + "]";
    if (!e.is_object()) throw ParamError(m.name, at, "must be a JSON object, got " + e.dump());
    for (const char* field : {"layer", "head"})
      if (!e.contains(field) || !e[field].is_number_integer() || e[field].get<std::int64_t>() < 0)
        throw ParamError(m.name, at, std::string("needs \"") + field + "\", an integer >= 0");
    const auto kind = e.value("kind", nlohmann::json());
    if (kind != "K" && kind != "V") throw ParamError(m.name, at, "needs \"kind\": \"K\" or \"V\"");
    if (e.contains("capture") && !e["capture"].is_string()) throw ParamError(m.name, at, "\"capture\" must be a text");
    const auto target = std::make_tuple(e.value("capture", std::string()), e["layer"].get<std::int64_t>(),
                                        e["head"].get<std::int64_t>(), kind.get<std::string>());
    if (!seen.insert(target).second) throw ParamError(m.name, at, "assigns a target a second time");
    auto spec = e;
    for (const char* field : {"layer", "head", "kind", "capture"}) spec.erase(field);
    checkMethodSpec(m, at, spec, /*allowHybrid=*/true);
  }
}

void checkValue(const MethodDescriptor& m, const ParamSpec& p, const nlohmann::json& v) {
  switch (p.type) {
    case ParamType::Integer:
      if (!isIntegral(v)) throw ParamError(m.name, p.name, "must be an integer, got " + v.dump());
      checkRange(m, p, v.get<double>(), v);
      if (!p.choices.empty() &&
          std::none_of(p.choices.begin(), p.choices.end(), [&](const auto& c) { return c.template get<double>() == v.template get<double>(); }))
        throw ParamError(m.name, p.name, "must be one of " + choicesText(p.choices) + ", got " + v.dump());
      return;
    case ParamType::Number:
      if (!v.is_number()) throw ParamError(m.name, p.name, "must be a number, got " + v.dump());
      checkRange(m, p, v.get<double>(), v);
      return;
    case ParamType::Boolean:
      if (!v.is_boolean()) throw ParamError(m.name, p.name, "must be true or false, got " + v.dump());
      return;
    case ParamType::Choice:
      if (!v.is_string() || std::find(p.choices.begin(), p.choices.end(), v) == p.choices.end())
        throw ParamError(m.name, p.name, "must be one of " + choicesText(p.choices) + ", got " + v.dump());
      return;
    case ParamType::Method:
      checkMethodSpec(m, p.name, v, /*allowHybrid=*/false);
      return;
    case ParamType::Text:
      if (!v.is_string() || v.get<std::string>().size() > 200)
        throw ParamError(m.name, p.name, "must be a text of at most 200 characters, got " + v.dump());
      return;
    case ParamType::Assignment:
      checkAssignment(m, p.name, v);
      return;
  }
}

ParamSpec makeParam(std::string name, ParamType type, nlohmann::json fallback, double min, double max,
                    std::vector<nlohmann::json> choices, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.defaultValue = std::move(fallback);
  p.min = min;
  p.max = max;
  p.choices = std::move(choices);
  p.doc = std::move(doc);
  return p;
}

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const char* familyName(MethodFamily family) {
  switch (family) {
    case MethodFamily::LowRank: return "low-rank";
    case MethodFamily::Quantization: return "quantization";
    case MethodFamily::Spectral: return "spectral";
    case MethodFamily::Learned: return "learned";
    case MethodFamily::NeuralField: return "neural field";
    case MethodFamily::Hybrid: return "hybrid";
    case MethodFamily::Eviction: return "eviction";
  }
  return "?";
}

const char* paramTypeName(ParamType type) {
  switch (type) {
    case ParamType::Integer: return "integer";
    case ParamType::Number: return "number";
    case ParamType::Boolean: return "boolean";
    case ParamType::Choice: return "choice";
    case ParamType::Method: return "method";
    case ParamType::Text: return "text";
    case ParamType::Assignment: return "assignment";
  }
  return "?";
}

ParamSpec integerParam(std::string name, nlohmann::json fallback, double min, double max, std::string doc) {
  return makeParam(std::move(name), ParamType::Integer, std::move(fallback), min, max, {}, std::move(doc));
}
ParamSpec numberParam(std::string name, nlohmann::json fallback, double min, double max, std::string doc) {
  return makeParam(std::move(name), ParamType::Number, std::move(fallback), min, max, {}, std::move(doc));
}
ParamSpec booleanParam(std::string name, bool fallback, std::string doc) {
  return makeParam(std::move(name), ParamType::Boolean, fallback, 0, 1, {}, std::move(doc));
}
ParamSpec choiceParam(std::string name, nlohmann::json fallback, std::vector<nlohmann::json> choices,
                      std::string doc) {
  return makeParam(std::move(name), ParamType::Choice, std::move(fallback), 0, 0, std::move(choices),
                   std::move(doc));
}
ParamSpec methodParam(std::string name, std::string doc) {
  auto p = makeParam(std::move(name), ParamType::Method, nullptr, 0, 0, {}, std::move(doc));
  p.required = true;
  return p;
}

ParamSpec textParam(std::string name, std::string doc) {
  return makeParam(std::move(name), ParamType::Text, "", 0, 0, {}, std::move(doc));
}
ParamSpec assignmentParam(std::string name, std::string doc) {
  auto p = makeParam(std::move(name), ParamType::Assignment, nullptr, 0, 0, {}, std::move(doc));
  p.required = true;
  return p;
}

const ParamSpec* MethodDescriptor::param(const std::string& key) const {
  for (const auto& p : params)
    if (p.name == key) return &p;
  return nullptr;
}

ParamError::ParamError(std::string method, std::string key, const std::string& problem)
    : std::invalid_argument(method + ": parameter '" + key + "' " + problem),
      m_method(std::move(method)),
      m_key(std::move(key)),
      m_problem(problem) {}

std::string closestWord(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t bestDistance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const auto d = editDistance(word, c);
    if (d < bestDistance) bestDistance = d, best = c;
  }
  return best;
}

void validateParams(const MethodDescriptor& m, const nlohmann::json& params) {
  if (!params.is_null() && !params.is_object())
    throw ParamError(m.name, "(all)", "parameters must be a JSON object, got " + params.dump());
  const auto given = params.is_null() ? nlohmann::json::object() : params;
  std::vector<std::string> declared;
  for (const auto& p : m.params) declared.push_back(p.name);
  for (const auto& [key, value] : given.items()) {
    const auto* p = m.param(key);
    if (!p) {
      const auto guess = closestWord(key, declared);
      throw ParamError(m.name, key,
                       "is unknown" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)") +
                           "; parameters: " + [&] {
                             std::string all;
                             for (const auto& d : declared) all += (all.empty() ? "" : ", ") + d;
                             return all;
                           }());
    }
    checkValue(m, *p, value);
  }
  if (m.check) m.check(given);
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& p : m.params) {
    if (p.required && !given.contains(p.name)) throw ParamError(m.name, p.name, "is required");
    if (!p.oneOf.empty()) groups[p.oneOf].push_back(p.name);
  }
  for (const auto& [group, names] : groups) {
    const auto present = std::count_if(names.begin(), names.end(), [&](const auto& n) { return given.contains(n); });
    if (present != 1) {
      std::string alternatives;
      for (std::size_t i = 1; i < names.size(); ++i) alternatives += (i > 1 ? "', '" : "") + names[i];
      throw ParamError(m.name, names.front(),
                       "or '" + alternatives + "' is required (exactly one of them)" +
                           (present > 1 ? ", got several" : ""));
    }
  }
}

nlohmann::json withDefaults(const MethodDescriptor& m, const nlohmann::json& params) {
  auto out = params.is_object() ? params : nlohmann::json::object();
  for (const auto& p : m.params)
    if (!out.contains(p.name) && !p.defaultValue.is_null()) out[p.name] = p.defaultValue;
  return out;
}

nlohmann::json withoutSolvedRequests(const MethodDescriptor& m, nlohmann::json params) {
  if (!params.is_object()) return params;
  for (const auto& p : m.params) {
    if (p.oneOf.empty() || !params.contains(p.name)) continue;
    for (const auto& other : m.params)
      if (other.oneOf == p.oneOf && other.name != p.name && params.contains(other.name)) {
        const bool keepOther = other.name == m.ratioParam;
        params.erase(keepOther ? p.name : other.name);
        if (keepOther) break;
      }
  }
  return params;
}

namespace {

// `params` with defaults filled in and a "ratio" request solved for the ratio parameter at
// `shape`; nullopt when the ratio is out of reach.
std::optional<nlohmann::json> resolvedParams(const MethodDescriptor& m, const nlohmann::json& params,
                                             const TargetShape& shape) {
  auto full = withDefaults(m, params);
  if (!m.ratioParam.empty() && !full.contains(m.ratioParam) && full.contains("ratio")) {
    const auto* p = m.param(m.ratioParam);
    const auto solved = solveForRatio(m, params, shape, full["ratio"].get<double>(),
                                      static_cast<std::int64_t>(std::min(p->max, 9e15)));
    if (!solved) return std::nullopt;
    full.erase("ratio");
    full[m.ratioParam] = *solved;
  }
  return full;
}

}  // namespace

double estimateBytes(const MethodDescriptor& m, const nlohmann::json& params, const TargetShape& shape) {
  if (!m.bytes) return std::numeric_limits<double>::quiet_NaN();
  const auto full = resolvedParams(m, params, shape);
  return full ? m.bytes(*full, shape) : std::numeric_limits<double>::quiet_NaN();
}

DecodeCost estimateDecodeCost(const MethodDescriptor& m, const nlohmann::json& params,
                              const DecodeShape& shape) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (!m.decodeCost) return {nan, nan, nan};
  const auto full = resolvedParams(m, params, {shape.context, shape.dims});
  return full ? m.decodeCost(*full, shape) : DecodeCost{nan, nan, nan};
}

DecodeCost denseDecodeCost(const DecodeShape& s, double bytesPerValue) {
  const double values = static_cast<double>(s.context) * static_cast<double>(s.dims);
  return {values * bytesPerValue, 2.0 * static_cast<double>(s.queryGroup) * values, 0};
}

DecodeCost reconstructedDecodeCost(const DecodeShape& s, double representationBytes,
                                   double reconstructFlops, double reconstructOps) {
  auto cost = denseDecodeCost(s, 2);
  cost.bytes = representationBytes + (s.reconstruct ? 2 * cost.bytes : 0);  // + written, read back
  cost.flops += reconstructFlops;
  cost.elementwiseOps += reconstructOps;
  return cost;
}

double estimateFitFlops(const MethodDescriptor& m, const nlohmann::json& params, const TargetShape& shape) {
  if (!m.fitFlops) return std::numeric_limits<double>::quiet_NaN();
  const auto full = resolvedParams(m, params, shape);
  return full ? m.fitFlops(*full, shape) : std::numeric_limits<double>::quiet_NaN();
}

std::optional<std::int64_t> solveForRatio(const MethodDescriptor& m, const nlohmann::json& params,
                                          const TargetShape& shape, double ratio, std::int64_t maxValue) {
  const auto* p = m.param(m.ratioParam);
  if (!p || !m.bytes) throw std::logic_error(m.name + ": no ratio parameter declared");
  const double budget = shape.rawFloat16Bytes() / ratio;
  auto probe = withDefaults(m, params);
  for (const auto& g : m.params)
    if (!g.oneOf.empty() && g.oneOf == p->oneOf) probe.erase(g.name);
  const auto fits = [&](std::int64_t v) {
    probe[p->name] = v;
    return m.bytes(probe, shape) <= budget;
  };
  // bytes grows with the parameter: binary search for the last value that fits.
  std::int64_t lo = static_cast<std::int64_t>(std::max(p->min, -9e15)), hi = maxValue;
  if (hi < lo || !fits(lo)) return std::nullopt;
  while (lo < hi) {
    const auto mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) lo = mid; else hi = mid - 1;
  }
  return lo;
}

}  // namespace kvwb::core
