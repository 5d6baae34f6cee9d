// Finding a sweep job again by its key (see job_lookup.h).
#include "core/sweep/job_lookup.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"

namespace kvwb::core {
namespace {

struct KeyedRun {
  RunInfo run;
  std::string key;
};

// The run of every job whose key starts with `prefix` (each job once).
std::vector<KeyedRun> jobsWithPrefix(const Project& project, const std::string& prefix) {
  std::vector<KeyedRun> found;
  for (const auto& run : project.runs())
    for (const auto& row : project.results(run.id)) {
      if (row.kind != "all") continue;
      const auto params = nlohmann::json::parse(row.paramsJson, nullptr, false);
      const std::string key = params.is_object() ? params.value("job", "") : "";
      if (!key.empty() && key.rfind(prefix, 0) == 0 &&
          std::none_of(found.begin(), found.end(), [&](const KeyedRun& f) { return f.key == key; }))
        found.push_back({run, key});
    }
  return found;
}

}  // namespace

FoundJob findSweepJob(const Project& project, const std::string& keyPrefix) {
  const auto found = jobsWithPrefix(project, keyPrefix);
  if (found.empty()) throw InputError(project.path(), "no job whose key starts with '" + keyPrefix + "'");
  if (found.size() > 1)
    throw InputError(project.path(), "more than one job's key starts with '" + keyPrefix + "' (" + found[0].key +
                                         ", " + found[1].key + "); give more digits");
  const KeyedRun& hit = found.front();
  const auto stored = nlohmann::json::parse(hit.run.paramsJson, nullptr, false);
  if (!stored.is_object() || !stored.contains("spec"))
    throw InputError(project.path(), "run '" + hit.run.id + "' keeps no sweep spec (it predates them): run its sweep again");
  FoundJob out{hit.run, parseSweepSpec(stored["spec"], project.path().string() + " run " + hit.run.id), {}};
  const auto jobs = planSweep(project, out.spec);
  const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const SweepJob& j) { return j.key == hit.key; });
  if (job == jobs.end())
    throw InputError(project.path(), "job " + hit.key + " is no longer planned by its run's spec (the capture changed?)");
  out.job = *job;
  return out;
}

std::vector<TargetRef> jobTargets(const SweepSpec& spec, const CaptureInfo& capture) {
  std::vector<int> layers = spec.layers, heads = spec.heads;
  if (layers.empty())
    for (int l = 0; l < capture.layers; ++l) layers.push_back(l);
  if (heads.empty())
    for (int h = 0; h < capture.kvHeads; ++h) heads.push_back(h);
  std::vector<TargetRef> refs;
  for (int l : layers)
    for (int h : heads) refs.push_back({l, h});
  return refs;
}

}  // namespace kvwb::core
