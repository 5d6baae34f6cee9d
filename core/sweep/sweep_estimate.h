// How big and how long a sweep will be, before it runs. Size comes from the method descriptors'
// byte estimates. Time comes from the descriptors' fit FLOPs at speeds measured on the device
// that will run it: each method's cheapest job of the spec, run for real (sweep_job.h) on one head
// of one layer, gives that method's seconds per fit FLOP; one Δ perplexity evaluation and one
// capture load are timed the same way. Measured speeds can be kept and passed back in, so a
// dialog re-measures only methods it has not timed. Any thread; one call at a time per project.
//
//   auto jobs = planSweep(project, spec);
//   auto speed = measureSweepSpeed(project, spec, ctx);
//   double seconds = predictSweepSeconds(project, spec, jobs, speed);
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/sweep/sweep_plan.h"

namespace kvwb::core {

struct SweepSize {
  int jobs = 0;
  double targetFits = 0;
  double rawFloat16Bytes = 0;  // of every fitted target
  double bytes = 0;            // the descriptors' estimate; NaN where one cannot say
};

SweepSize sweepSize(const Project& project, const SweepSpec& spec, const std::vector<SweepJob>& jobs);

// Speeds measured on one device. A method is in exactly one of the two maps: seconds per fit
// FLOP when its descriptor estimates FLOPs, else seconds per target.
struct SweepSpeed {
  std::string device;
  std::map<std::string, double> secondsPerFlop, secondsPerTarget;
  double pplSeconds = -1;      // one Δ perplexity evaluation; -1: not measured
  double captureSeconds = -1;  // loading one capture's inputs (with its model); -1: not measured
  // The model's side of one quality window: its prefix capture, and each scored or greedy token
  // after it; -1: not measured.
  double qualityPrefixSeconds = -1, qualityTokenSeconds = -1;
  bool covers(const SweepSpec& spec) const;  // every method and cost the spec needs is measured
};

// Measures what `known` (speeds from an earlier call on the same device) lacks for `spec`.
// A method all of whose jobs are infeasible on this capture is left out (its jobs do not run).
SweepSpeed measureSweepSpeed(const Project& project, const SweepSpec& spec, JobContext& ctx,
                             SweepSpeed known = {});

// Seconds the sweep's `jobs` take at `speed`; NaN when `speed` lacks a method they use.
double predictSweepSeconds(const Project& project, const SweepSpec& spec,
                           const std::vector<SweepJob>& jobs, const SweepSpeed& speed);

}  // namespace kvwb::core
