// Quality windows: placement and the spec's `metrics.quality` (see window_spec.h).
#include "core/quality/window_spec.h"

#include <algorithm>
#include <stdexcept>

namespace kvwb::core {
namespace {

struct Field {
  const char* key;
  int WindowSpec::*member;
  int min, max;
};
constexpr Field kFields[] = {
    {"windows", &WindowSpec::windows, 1, 100000},     {"prefix", &WindowSpec::prefix, 0, 1 << 24},
    {"continuation", &WindowSpec::continuation, 1, 1 << 20}, {"stride", &WindowSpec::stride, 0, 1 << 24},
    {"first", &WindowSpec::first, 0, 1 << 24},
    {"greedy", &WindowSpec::greedy, 0, 1 << 16},      {"batch", &WindowSpec::batch, 1, 4096},
};

}  // namespace

std::vector<int> windowStarts(int textTokens, const WindowSpec& spec, int prefix) {
  const int length = prefix + std::max(spec.continuation, spec.greedy);
  const int stride = spec.stride > 0 ? spec.stride : length;
  std::vector<int> starts;
  for (int s = spec.first; s + length <= textTokens && static_cast<int>(starts.size()) < spec.windows; s += stride)
    starts.push_back(s);
  return starts;
}

WindowSpec parseWindowSpec(const nlohmann::json& quality) {
  if (!quality.is_object()) throw std::invalid_argument("must be a JSON object or \"none\", got " + quality.dump());
  WindowSpec spec;
  for (const auto& [key, value] : quality.items()) {
    if (key == "per_target") {
      if (!value.is_boolean()) throw std::invalid_argument("per_target must be true or false");
      spec.perTarget = value.get<bool>();
      continue;
    }
    if (key == "seed") {
      if (!value.is_number_unsigned()) throw std::invalid_argument("seed must be a non-negative integer");
      spec.bootstrapSeed = value.get<std::uint64_t>();
      continue;
    }
    const auto* f = std::find_if(std::begin(kFields), std::end(kFields), [&](const Field& x) { return key == x.key; });
    if (f == std::end(kFields))
      throw std::invalid_argument("unknown key '" + key +
                                  "' (known: windows, prefix, continuation, stride, first, greedy, batch, seed, per_target)");
    if (!value.is_number_integer() || value.get<std::int64_t>() < f->min || value.get<std::int64_t>() > f->max)
      throw std::invalid_argument(key + " must be an integer in [" + std::to_string(f->min) + ", " +
                                  std::to_string(f->max) + "], got " + value.dump());
    spec.*(f->member) = value.get<int>();
  }
  return spec;
}

nlohmann::json toJson(const WindowSpec& spec) {
  nlohmann::json j = {{"seed", spec.bootstrapSeed}, {"per_target", spec.perTarget}};
  for (const auto& f : kFields) j[f.key] = spec.*(f.member);
  if (spec.first == 0) j.erase("first");  // job keys and stored baselines from before it
  return j;
}

}  // namespace kvwb::core
