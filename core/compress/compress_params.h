// Reading a compressor's JSON parameters: typed, range-checked look-ups that fill in defaults and
// record the effective parameters; unknown keys are rejected (a typo must not silently fall back
// to a default). Errors are std::invalid_argument naming the method and the parameter. One thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kvwb::core {

// A number for a message: "914", "7.84245", "1e-06" (not std::to_string's "914.000000").
std::string shortNumber(double v);

class ParamReader {
 public:
  // `params` must be a JSON object or null (= no parameters).
  ParamReader(std::string method, const nlohmann::json& params);

  bool has(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi);
  std::optional<std::int64_t> optionalInteger(const std::string& name, std::int64_t lo,
                                              std::int64_t hi);
  std::optional<double> optionalNumber(const std::string& name, double lo, double hi);
  double number(const std::string& name, double fallback, double lo, double hi);
  bool boolean(const std::string& name, bool fallback);
  std::string choice(const std::string& name, const std::string& fallback,
                     const std::vector<std::string>& allowed);
  nlohmann::json object(const std::string& name);  // required JSON object

  // Records a value derived from the parameters (e.g. the rank chosen for a ratio).
  void setEffective(const std::string& name, nlohmann::json value) {
    m_effective[name] = std::move(value);
  }
  // Throws for keys no look-up consumed; returns the effective parameters.
  nlohmann::json finish() const;
  // "<method>: parameter '<name>' <problem>", for checks that need more than one parameter.
  [[noreturn]] void fail(const std::string& name, const std::string& problem) const;

 private:
  const nlohmann::json* find(const std::string& name);
  std::string m_method;
  nlohmann::json m_params, m_effective = nlohmann::json::object();
  std::set<std::string> m_used;
};

}  // namespace kvwb::core
