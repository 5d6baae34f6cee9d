// Per-token damage of a sweep job (see job_damage.h).
#include "core/sweep/job_damage.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/model/token_text.h"
#include "core/model/tokenizer.h"
#include "core/reports/results_summary.h"
#include "core/sweep/job_lookup.h"
#include "core/sweep/window_quality.h"

namespace kvwb::core {
namespace {

constexpr std::size_t kContextTokens = 40;  // of the prefix shown before the scored tokens
constexpr std::size_t kJoinTokens = 8;      // decoded before a token to get its leading space right

// The ids of `window` from `from` to `to`.
std::vector<int> slice(const std::vector<int>& window, std::size_t from, std::size_t to) {
  return {window.begin() + static_cast<std::ptrdiff_t>(from), window.begin() + static_cast<std::ptrdiff_t>(to)};
}

std::vector<RankedToken> ranked(const Tokenizer& tokenizer, std::vector<int> before, const TopTokens& top) {
  std::vector<RankedToken> out;
  before.push_back(0);
  for (std::size_t i = 0; i < top.ids.size(); ++i) {
    before.back() = top.ids[i];
    out.push_back({tokenText(tokenizer, before), top.probs[i]});
  }
  return out;
}

}  // namespace

JobDamage jobDamage(const Project& project, const std::string& jobKey, const std::string& device, JobContext& ctx) {
  const FoundJob found = findSweepJob(project, jobKey);
  const SweepSpec& spec = found.spec;
  const SweepJob* job = &found.job;
  const CaptureInfo& capture = project.capture(job->capture);
  const auto modelPath = requireCaptureModel(project, capture.name);
  const LlamaModel model(modelPath, LoadOptions{.device = device});
  const Tokenizer tokenizer = Tokenizer::load(Tokenizer::findFor(modelPath));
  SubJobContext baselineCtx(ctx, 0, 0.1, "");
  if (!job->quality) throw InputError(project.path(), "job " + job->key + " measured no model quality (metrics.quality none)");
  const WindowQuality windows(project, capture.name, model, *job->quality, job->seqLength, true, device, baselineCtx);
  SubJobContext measureCtx(ctx, 0.1, 0.9, "");
  const auto compressor = makeCompressor(job->method);
  const JobQuality q = windows.measure(*job, spec, *compressor, measureCtx, /*detail=*/true);

  JobDamage d;
  d.job = job->key;
  d.run = found.run.id;
  d.capture = capture.name;
  d.method = job->method;
  d.paramsText = paramsText(job->params.dump());
  d.source = q.text;
  d.prefix = q.prefix;
  d.continuation = q.continuation;
  d.stats = q.stats;
  const auto P = static_cast<std::size_t>(q.prefix);
  for (std::size_t w = 0; w < q.windows.size(); ++w) {
    const auto& ids = q.ids[w];
    DamageWindow& out = d.windows.emplace_back();
    out.start = q.starts[w];
    out.context = tokenizer.decode(slice(ids, P - std::min(P - 1, kContextTokens), P));
    for (std::size_t t = 0; t < q.windows[w].size(); ++t) {
      const std::size_t at = P + t;  // the scored token; predicted from ids before it
      const auto before = slice(ids, std::max<std::size_t>(1, at - std::min(at - 1, kJoinTokens)), at);
      DamagedToken token;
      token.window = static_cast<int>(w);
      token.position = static_cast<int>(at);
      token.text = tokenText(tokenizer, slice(ids, before.empty() ? at : at - before.size(), at + 1));
      token.quality = q.windows[w][t];
      token.topBase = ranked(tokenizer, before, q.detail[w][t].base);
      token.topCompressed = ranked(tokenizer, before, q.detail[w][t].compressed);
      out.tokens.push_back(std::move(token));
    }
  }
  return d;
}

std::vector<const DamagedToken*> worstTokens(const JobDamage& damage, std::size_t n) {
  std::vector<const DamagedToken*> all;
  for (const auto& w : damage.windows)
    for (const auto& t : w.tokens) all.push_back(&t);
  const auto k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                    [](const DamagedToken* a, const DamagedToken* b) { return a->quality.kl > b->quality.kl; });
  all.resize(k);
  return all;
}

}  // namespace kvwb::core
