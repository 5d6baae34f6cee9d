// Integers read from untrusted JSON. nlohmann's get<int>() truncates 2^40 and is undefined
// behaviour for a float such as 1e30 (the fuzzers found both); this accepts only an integer
// that fits.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace kvwb::core {

// `value` as an int when it is an integer within int's range; nullopt for a fraction (3.7), a
// floating spelling (1e30, or a literal too long for any integer type), 2^40, or a non-number.
inline std::optional<int> jsonInt(const nlohmann::json& value) {
  constexpr auto lo = std::numeric_limits<int>::min(), hi = std::numeric_limits<int>::max();
  if (!value.is_number_integer()) return std::nullopt;
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)
                        : value.get<std::int64_t>() >= lo && value.get<std::int64_t>() <= hi;
  if (!fits) return std::nullopt;
  return static_cast<int>(value.get<std::int64_t>());
}

// The int at `key` of the object `j` (`fallback` when absent); any other value throws
// nlohmann's type_error, so callers report it like every other malformed field.
inline int intAt(const nlohmann::json& j, const char* key, std::optional<int> fallback = std::nullopt) {
  const auto it = j.find(key);
  if (it == j.end() && fallback) return *fallback;
  if (it == j.end()) return j.at(key).get<int>();  // throws out_of_range naming the key
  if (const auto v = jsonInt(*it)) return *v;
  throw nlohmann::json::type_error::create(
      302, std::string("\"") + key + "\" must be an int, got " + it->dump(), &j);
}

}  // namespace kvwb::core
