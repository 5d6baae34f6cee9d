// A sweep spec (docs/SWEEPS.md): methods x parameter grids x captures x targets x sequence
// lengths, with the metrics to measure. Parsing validates the whole spec before anything runs:
// unknown or misspelt keys (with a did-you-mean), every grid point against its method's
// descriptor, types and ranges; errors are InputError naming the spec file, the method and the key.
// Plain data; any thread.
//
//   auto spec = kvwb::core::loadSweepSpec("resources/presets/demo.json");
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/quality/window_spec.h"

namespace kvwb::core {

struct SweepMethod {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // fixed parameters
  nlohmann::json grid = nlohmann::json::object();    // parameter -> list of values
  // This method's model-quality windows: metrics.quality with the method's own "quality" object
  // over it (fewer windows for a costly fit, as SIREN's), or none ("none" either place).
  std::optional<WindowSpec> quality;
  nlohmann::json qualityOverride;  // the method's "quality" as given (null: none given)
};

struct SweepSpec {
  std::string name = "sweep";
  std::string origin;                 // the file (or other source) the spec came from
  std::vector<std::string> captures;  // empty = all
  std::vector<int> layers, heads;     // empty = all
  std::vector<std::string> kinds = {"K", "V"};
  std::vector<int> seqLengths;        // empty = the whole capture minus the scored tokens
  std::vector<SweepMethod> methods;
  bool attentionMetrics = true;
  std::string deltaPpl = "job";  // "none", "job" (all targets of a job compressed), "per_target"
  int pplTokens = 64;            // continuation tokens scored for delta perplexity (one window)
  // Model quality over many windows of the capture's text (metrics.quality; "none" turns it off):
  // ln PPL ratio, KL divergence, same-top-token rate, Δp and greedy agreement per job. The
  // default of every method (SweepMethod::quality).
  bool quality = true;
  WindowSpec qualityWindows;
  std::string device = "auto";
  std::uint64_t seed = 0;
  nlohmann::json source;  // the spec as given (stored with each run)
};

// Parses and validates; errors name `origin` (the spec file) and the offending field.
SweepSpec parseSweepSpec(const nlohmann::json& spec, const std::string& origin);
SweepSpec loadSweepSpec(const std::filesystem::path& file);

// Cartesian product of a grid {param: [values]} (parameters in name order).
std::vector<nlohmann::json> expandGrid(const nlohmann::json& grid);

// Sets `key` to `value` in every method whose params or grid hold `key` (the grid entry is
// replaced by the fixed value), recorded in spec.source so job keys change, and validates the
// result. Throws InputError when no method has the key or the value breaks a method's declaration.
void overrideSweepParam(SweepSpec& spec, const std::string& key, const nlohmann::json& value);

}  // namespace kvwb::core
