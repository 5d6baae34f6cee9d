// Typed, range-checked compressor parameters (see compress_params.h).
#include "core/compress/compress_params.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace kvwb::core {

std::string shortNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

ParamReader::ParamReader(std::string method, const nlohmann::json& params)
    : m_method(std::move(method)), m_params(params.is_null() ? nlohmann::json::object() : params) {
  if (!m_params.is_object())
    throw std::invalid_argument(m_method + ": parameters must be a JSON object, got " +
                                m_params.dump());
}

void ParamReader::fail(const std::string& name, const std::string& problem) const {
  throw std::invalid_argument(m_method + ": parameter '" + name + "' " + problem);
}

bool ParamReader::has(const std::string& name) const { return m_params.contains(name); }

const nlohmann::json* ParamReader::find(const std::string& name) {
  m_used.insert(name);
  const auto it = m_params.find(name);
  return it == m_params.end() ? nullptr : &*it;
}

std::optional<std::int64_t> ParamReader::optionalInteger(const std::string& name, std::int64_t lo,
                                                         std::int64_t hi) {
  const auto* v = find(name);
  if (!v) return std::nullopt;
  const bool integral = v->is_number_integer() ||
                        (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>());
  if (!integral) fail(name, "must be an integer, got " + v->dump());
  const auto x = static_cast<std::int64_t>(v->get<double>());
  if (x < lo || x > hi)
    fail(name,
         "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v->dump());
  m_effective[name] = x;
  return x;
}

std::int64_t ParamReader::integer(const std::string& name, std::int64_t fallback, std::int64_t lo,
                                  std::int64_t hi) {
  const auto x = optionalInteger(name, lo, hi).value_or(fallback);
  m_effective[name] = x;
  return x;
}

std::optional<double> ParamReader::optionalNumber(const std::string& name, double lo, double hi) {
  const auto* v = find(name);
  if (!v) return std::nullopt;
  if (!v->is_number()) fail(name, "must be a number, got " + v->dump());
  const double x = v->get<double>();
  if (!(x >= lo && x <= hi))
    fail(name, "must be in [" + shortNumber(lo) + ", " + shortNumber(hi) + "], got " + v->dump());
  m_effective[name] = x;
  return x;
}

double ParamReader::number(const std::string& name, double fallback, double lo, double hi) {
  const auto x = optionalNumber(name, lo, hi).value_or(fallback);
  m_effective[name] = x;
  return x;
}

bool ParamReader::boolean(const std::string& name, bool fallback) {
  const auto* v = find(name);
  if (v && !v->is_boolean()) fail(name, "must be true or false, got " + v->dump());
  const bool x = v ? v->get<bool>() : fallback;
  m_effective[name] = x;
  return x;
}

std::string ParamReader::choice(const std::string& name, const std::string& fallback,
                                const std::vector<std::string>& allowed) {
  const auto* v = find(name);
  std::string x = fallback;
  if (v) {
    if (!v->is_string()) fail(name, "must be a string, got " + v->dump());
    x = v->get<std::string>();
  }
  if (std::find(allowed.begin(), allowed.end(), x) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(name, "must be one of " + list + ", got '" + x + "'");
  }
  m_effective[name] = x;
  return x;
}

nlohmann::json ParamReader::object(const std::string& name) {
  const auto* v = find(name);
  if (!v) fail(name, "is required");
  if (!v->is_object()) fail(name, "must be a JSON object, got " + v->dump());
  m_effective[name] = *v;
  return *v;
}

nlohmann::json ParamReader::finish() const {
  for (const auto& [key, value] : m_params.items())
    if (!m_used.count(key)) fail(key, "is unknown");
  return m_effective;
}

}  // namespace kvwb::core
