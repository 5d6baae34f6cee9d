// A sweep job found again by its key among a project's runs (each run keeps its sweep spec in its
// parameters) and planned again from that spec: what re-measures one job on demand (the damage
// of job_damage.h, the kept tokens of job_keep_map.h). Plain data; any thread.
//
//   const FoundJob found = findSweepJob(project, "b889cc86");
//   for (const TargetRef& t : jobTargets(found.spec, project.capture(found.job.capture))) ...
#pragma once

#include <string>
#include <vector>

#include "core/project/project.h"
#include "core/sweep/sweep_plan.h"
#include "core/sweep/target_batch.h"

namespace kvwb::core {

struct FoundJob {
  RunInfo run;     // the run that committed the job
  SweepSpec spec;  // the run's sweep spec
  SweepJob job;    // as the spec plans it now
};

// Throws InputError naming the project when no job's key starts with `keyPrefix` (or more than
// one does), its run keeps no spec (a sweep from before specs were kept: re-run it), or the spec
// no longer plans the job (the capture changed).
FoundJob findSweepJob(const Project& project, const std::string& keyPrefix);

// The (layer, head) targets a job of `spec` fits on `capture`, in the sweep's order: its layers x
// KV heads (every one where the spec names none).
std::vector<TargetRef> jobTargets(const SweepSpec& spec, const CaptureInfo& capture);

}  // namespace kvwb::core
