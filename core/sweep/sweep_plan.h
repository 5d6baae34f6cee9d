// A sweep's jobs on a project: one per capture x method x grid point x sequence length, in
// execution order. A job's key is a stable hash (core/base/stable_hash.h) of what determines its
// results, so re-running a spec recognises finished jobs on any platform. Plain data; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/sweep/sweep_spec.h"

namespace kvwb::core {

struct SweepJob {
  std::string runId, key, capture, method;
  nlohmann::json params;  // fixed + grid point
  int seqLength = 0;
  std::optional<WindowSpec> quality;  // the method's quality windows; none: not measured
};

// Every job of the spec on this project, in execution order. Throws InputError naming the project
// for a capture it lacks or a sequence length that does not fit.
std::vector<SweepJob> planSweep(const Project& project, const SweepSpec& spec);

// How many targets one job of the spec fits on `capture`: its layers x KV heads x kinds.
double targetFits(const SweepSpec& spec, const CaptureInfo& capture);

// The job's key: 16 hex digits of stableHash("capture|method|params|length|metrics").
std::string sweepJobKey(const std::string& capture, const std::string& method,
                        const nlohmann::json& params, int seqLength, const nlohmann::json& metrics);

// The seed a job's fits draw from (random bases, network initialisation).
std::uint64_t sweepJobSeed(const SweepSpec& spec, const SweepJob& job);

}  // namespace kvwb::core
