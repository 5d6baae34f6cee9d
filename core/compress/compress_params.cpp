// Descriptor-checked compressor parameters (see compress_params.h).
#include "core/compress/compress_params.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace kvwb::core {

std::string shortNumber(double v) {
  char buf[32];
  const bool integral = std::floor(v) == v && std::abs(v) < 1e15;
  std::snprintf(buf, sizeof buf, integral ? "%.0f" : "%g", v);
  return buf;
}

ParamReader::ParamReader(const MethodDescriptor& method, const nlohmann::json& params)
    : m_method(method), m_params(params.is_null() ? nlohmann::json::object() : params) {
  validateParams(method, m_params);
}

void ParamReader::fail(const std::string& name, const std::string& problem) const {
  throw ParamError(m_method.name, name, problem);
}

void ParamReader::infeasible(const std::string& name, const std::string& problem) const {
  throw Infeasible(m_method.name + ": parameter '" + name + "' " + problem);
}

bool ParamReader::has(const std::string& name) const { return m_params.contains(name); }

const nlohmann::json* ParamReader::find(const std::string& name) {
  if (!m_method.param(name))
    throw std::logic_error(m_method.name + ": the fit reads '" + name + "', which its descriptor does not declare");
  m_used.insert(name);
  const auto it = m_params.find(name);
  return it == m_params.end() ? nullptr : &*it;
}

const nlohmann::json& ParamReader::declaredDefault(const std::string& name) const {
  const auto& d = m_method.param(name)->defaultValue;
  if (d.is_null())
    throw std::logic_error(m_method.name + ": '" + name + "' has no declared default; pass one");
  return d;
}

std::optional<std::int64_t> ParamReader::optionalInteger(const std::string& name) {
  const auto* v = find(name);
  if (!v) return std::nullopt;
  const auto x = static_cast<std::int64_t>(v->get<double>());  // validated integral
  m_effective[name] = x;
  return x;
}

std::int64_t ParamReader::integer(const std::string& name, std::int64_t fallback) {
  const auto x = optionalInteger(name).value_or(fallback);
  m_effective[name] = x;
  return x;
}

std::int64_t ParamReader::integer(const std::string& name) {
  find(name);
  return integer(name, declaredDefault(name).get<std::int64_t>());
}

std::optional<double> ParamReader::optionalNumber(const std::string& name) {
  const auto* v = find(name);
  if (!v) return std::nullopt;
  const double x = v->get<double>();
  m_effective[name] = x;
  return x;
}

double ParamReader::number(const std::string& name, double fallback) {
  const auto x = optionalNumber(name).value_or(fallback);
  m_effective[name] = x;
  return x;
}

double ParamReader::number(const std::string& name) {
  find(name);
  return number(name, declaredDefault(name).get<double>());
}

bool ParamReader::boolean(const std::string& name) {
  const auto* v = find(name);
  const bool x = v ? v->get<bool>() : declaredDefault(name).get<bool>();
  m_effective[name] = x;
  return x;
}

std::string ParamReader::choice(const std::string& name, const std::string& fallback) {
  const auto* v = find(name);
  const auto x = v ? v->get<std::string>() : fallback;
  m_effective[name] = x;
  return x;
}

std::string ParamReader::choice(const std::string& name) {
  find(name);
  return choice(name, declaredDefault(name).get<std::string>());
}

nlohmann::json ParamReader::object(const std::string& name) {
  const auto* v = find(name);
  if (!v) fail(name, "is required");
  m_effective[name] = *v;
  return *v;
}

nlohmann::json ParamReader::finish() const {
  for (const auto& [key, value] : m_params.items())
    if (!m_used.count(key))
      throw std::logic_error(m_method.name + ": parameter '" + key + "' is declared but the fit never reads it");
  return m_effective;
}

}  // namespace kvwb::core
