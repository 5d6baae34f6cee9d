// Which tokens a sweep job's compressed cache hurts (issue 15, "damage"): the job's quality
// windows measured again with, per scored token, its text, KL divergence, ΔNLL and the top-5 next
// tokens with and without compression. The job is found by its key among the project's runs
// (each run keeps its sweep spec) and measured as the sweep did (same windows, seeds and
// baseline). Std-typed for the damage view and `kvwb-cli damage`; one thread per call.
//
//   JobDamage d = jobDamage(project, "b889cc86", "cpu", ctx);
//   for (const DamagedToken* t : worstTokens(d, 20)) std::cout << t->text << " " << t->quality.kl;
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/base/job_context.h"
#include "core/project/project.h"
#include "core/quality/quality_stats.h"

namespace kvwb::core {

struct RankedToken {
  std::string text;  // the token as it reads in the text ("\n" for a newline)
  float prob = 0;
};

struct DamagedToken {
  int window = 0, position = 0;  // position in the window's ids (prefix + index of the scored token)
  std::string text;              // the token as it reads in the text, leading space included
  TokenQuality quality;          // KL, NLL with and without compression, p(correct), same top
  double deltaNll() const { return quality.nllCompressed - quality.nllBase; }
  std::vector<RankedToken> topBase, topCompressed;  // the 5 most likely next tokens
};

struct DamageWindow {
  int start = 0;                     // in the text's ids
  std::string context;               // the end of the compressed prefix, as text
  std::vector<DamagedToken> tokens;  // the scored continuation
};

struct JobDamage {
  std::string job, run, capture, method, paramsText, source;  // source: where the text comes from
  int prefix = 0, continuation = 0;
  QualityStats stats;
  std::vector<DamageWindow> windows;
};

// Throws InputError naming the project when no job's key starts with `jobKey` (or more than one
// does), its run keeps no spec (a sweep from before specs were kept: re-run it), or its capture
// has no model.
JobDamage jobDamage(const Project& project, const std::string& jobKey, const std::string& device, JobContext& ctx);

// The `n` tokens with the highest KL divergence, highest first.
std::vector<const DamagedToken*> worstTokens(const JobDamage& damage, std::size_t n);

}  // namespace kvwb::core
