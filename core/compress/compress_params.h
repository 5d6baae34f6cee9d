// Reading a compressor's JSON parameters through its descriptor (method_descriptor.h): the
// constructor validates every key, type, range and choice (ParamError); look-ups return the value
// or the declared default and record the effective parameters. Shape-dependent limits a valid
// request cannot meet are reported with infeasible(). One thread.
//
//   ParamReader params(descriptor(), json);
//   const auto rank = params.integer("rank");          // declared default when absent
//   if (rank > D) params.infeasible("rank", "exceeds the head dim");
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/compress/method_descriptor.h"

namespace kvwb::core {

// A number for a message: "914", "7.84245", "1e-06" (not std::to_string's "914.000000").
std::string shortNumber(double v);

class ParamReader {
 public:
  // `params` must be a JSON object or null (= no parameters). Throws ParamError.
  ParamReader(const MethodDescriptor& method, const nlohmann::json& params);

  bool has(const std::string& name) const;
  // The value, else the declared default (or `fallback`, for defaults derived from the target).
  std::int64_t integer(const std::string& name);
  std::int64_t integer(const std::string& name, std::int64_t fallback);
  std::optional<std::int64_t> optionalInteger(const std::string& name);
  double number(const std::string& name);
  double number(const std::string& name, double fallback);
  std::optional<double> optionalNumber(const std::string& name);
  bool boolean(const std::string& name);
  std::string choice(const std::string& name);  // a Choice or Text parameter
  std::string choice(const std::string& name, const std::string& fallback);
  nlohmann::json object(const std::string& name);  // a required JSON value (a method, an assignment)

  // Records a value derived from the parameters (e.g. the rank chosen for a ratio).
  void setEffective(const std::string& name, nlohmann::json value) {
    m_effective[name] = std::move(value);
  }
  // The effective parameters. Throws std::logic_error when a given parameter was never read: the
  // descriptor declares what the fit ignores.
  nlohmann::json finish() const;
  // "<method>: parameter '<name>' <problem>": a request against the declaration (ParamError) or
  // one this batch's shape cannot meet (Infeasible).
  [[noreturn]] void fail(const std::string& name, const std::string& problem) const;
  [[noreturn]] void infeasible(const std::string& name, const std::string& problem) const;

 private:
  const nlohmann::json* find(const std::string& name);
  const nlohmann::json& declaredDefault(const std::string& name) const;
  const MethodDescriptor& m_method;
  nlohmann::json m_params, m_effective = nlohmann::json::object();
  std::set<std::string> m_used;
};

}  // namespace kvwb::core
