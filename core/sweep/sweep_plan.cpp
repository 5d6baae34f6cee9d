// Sweep planning (see sweep_plan.h).
#include "core/sweep/sweep_plan.h"

#include "core/base/errors.h"
#include "core/base/stable_hash.h"

namespace kvwb::core {

std::string sweepJobKey(const std::string& capture, const std::string& method,
                        const nlohmann::json& params, int seqLength, const nlohmann::json& metrics) {
  return stableHashHex(capture + "|" + method + "|" + params.dump() + "|" + std::to_string(seqLength) +
                       "|" + metrics.dump());
}

double targetFits(const SweepSpec& spec, const CaptureInfo& capture) {
  const auto count = [](const std::vector<int>& chosen, std::int64_t all) {
    return static_cast<double>(chosen.empty() ? all : static_cast<std::int64_t>(chosen.size()));
  };
  return count(spec.layers, capture.layers) * count(spec.heads, capture.kvHeads) *
         static_cast<double>(spec.kinds.size());
}

std::uint64_t sweepJobSeed(const SweepSpec& spec, const SweepJob& job) {
  return spec.seed ^ stableHash(job.key);
}

std::vector<SweepJob> planSweep(const Project& project, const SweepSpec& spec) {
  std::vector<std::string> captures = spec.captures;
  if (captures.empty())
    for (const auto& c : project.captures()) captures.push_back(c.name);
  const auto specMetrics = spec.source.value("metrics", nlohmann::json::object());
  std::vector<SweepJob> jobs;
  for (const auto& name : captures) {
    const auto& c = project.capture(name);  // throws naming the project
    const int scored = spec.deltaPpl == "none" ? 0 : spec.pplTokens;
    std::vector<int> lengths = spec.seqLengths;
    if (lengths.empty()) lengths.push_back(static_cast<int>(c.tokens) - scored);
    for (int n : lengths)
      if (n < 2 || n + scored > c.tokens)
        throw InputError(project.path(), "sweep '" + spec.name + "': sequence length " + std::to_string(n) +
                                             " (+" + std::to_string(scored) + " scored tokens) does not fit capture '" +
                                             name + "' of " + std::to_string(c.tokens) + " tokens");
    for (const auto& m : spec.methods)
      for (const auto& point : expandGrid(m.grid))
        for (int n : lengths) {
          SweepJob job;
          job.runId = spec.name + "." + name + "." + m.method;
          job.capture = name;
          job.method = m.method;
          job.params = m.params;
          job.params.update(point);
          job.seqLength = n;
          job.quality = m.quality;
          // The key holds the job's quality windows in full (defaults included), not how many
          // run at once, where the spec names them; a spec that does not keeps the keys it had
          // before quality was measured, so its earlier results resume.
          auto metrics = specMetrics;
          metrics.erase("quality");
          if (m.quality && (specMetrics.contains("quality") || !m.qualityOverride.is_null())) {
            metrics["quality"] = toJson(*m.quality);
            metrics["quality"].erase("batch");
            if (!m.quality->perTarget) metrics["quality"].erase("per_target");  // keys from before it
          }
          job.key = sweepJobKey(name, m.method, job.params, n, metrics);
          jobs.push_back(std::move(job));
        }
  }
  return jobs;
}

}  // namespace kvwb::core
