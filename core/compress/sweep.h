// Compression sweeps: a JSON spec (methods x parameter grid x captures x targets x sequence
// lengths, docs/SWEEPS.md) expands into jobs; each job fits its targets as one batch, measures
// every metric, and commits all its rows to the project's run journal in one durable record.
// Re-running the same spec on the same project resumes: finished jobs are skipped. Runs on the
// CPU or CUDA (LibTorch), one job at a time (jobs are internally batched). Call from one thread.
//
//   auto spec = kvwb::core::loadSweepSpec("resources/presets/demo.json");
//   auto summary = kvwb::core::runSweep("datasets/demo.kvw", spec, {}, ctx);
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/job_context.h"
#include "core/project.h"

namespace kvwb::core {

struct SweepMethod {
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // fixed parameters
  nlohmann::json grid = nlohmann::json::object();    // parameter -> list of values
};

struct SweepSpec {
  std::string name = "sweep";
  std::vector<std::string> captures;  // empty = all
  std::vector<int> layers, heads;     // empty = all
  std::vector<std::string> kinds = {"K", "V"};
  std::vector<int> seqLengths;        // empty = the whole capture minus the scored tokens
  std::vector<SweepMethod> methods;
  bool attentionMetrics = true;
  std::string deltaPpl = "job";  // "none", "job" (all targets of a job compressed), "per_target"
  int pplTokens = 64;            // continuation tokens scored for delta perplexity
  std::string device = "auto";
  std::uint64_t seed = 0;
  nlohmann::json source;  // the spec as given (stored with each run)
};

// Parses and validates; errors name `origin` (the spec file) and the offending field.
SweepSpec parseSweepSpec(const nlohmann::json& spec, const std::string& origin);
SweepSpec loadSweepSpec(const std::filesystem::path& file);

// Sets `key` to `value` in every method whose params or grid hold `key` (the grid entry is
// replaced by the fixed value); also recorded in spec.source so job keys change. Throws
// InputError when no method has the key.
void overrideSweepParam(SweepSpec& spec, const std::string& key, const nlohmann::json& value);

struct SweepJob {
  std::string runId, key, capture, method;
  nlohmann::json params;  // fixed + grid point
  int seqLength = 0;
};

// Every job of the spec on this project, in execution order.
std::vector<SweepJob> planSweep(const Project& project, const SweepSpec& spec);

struct SweepSummary {
  int jobs = 0, skipped = 0, done = 0;
  std::vector<std::string> runIds;
  std::string device;
  // Jobs whose parameters this capture cannot satisfy (e.g. a compression ratio beyond what a
  // head_dim of 8 allows): recorded as one aggregate row with params.infeasible, not run.
  std::vector<std::string> infeasible;
};

// Runs the jobs not yet in the project. On cancel, the job in flight is dropped and every
// finished job stays committed; a later call resumes.
SweepSummary runSweep(const std::filesystem::path& project, const SweepSpec& spec, JobContext& ctx);

}  // namespace kvwb::core
