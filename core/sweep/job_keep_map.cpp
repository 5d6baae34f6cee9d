// The kept tokens of an eviction job (see job_keep_map.h): the sweep's fit of each kind's batch
// again, the attention received from computeAttentionStats (core/analysis, torch-free here) per
// (layer, head), the tokens decoded with the capture model's tokenizer.
#include "core/sweep/job_keep_map.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/analysis/structure_kernels.h"
#include "core/base/errors.h"
#include "core/capture/capture_extract.h"
#include "core/compress/compressor.h"
#include "core/model/token_text.h"
#include "core/reports/results_summary.h"
#include "core/sweep/job_lookup.h"

namespace kvwb::core {
namespace {

constexpr double kFitShare = 0.8;  // of the progress; the attention takes the rest

// The names of the eviction methods, for a message: "streaming, h2o, ...".
std::string evictionMethodNames() {
  std::string out;
  for (const MethodDescriptor* m : methodDescriptors())
    if (m->family == MethodFamily::Eviction) out += (out.empty() ? "" : ", ") + m->name;
  return out;
}

// Floats [from, from + count) of `batch`'s data.
std::vector<float> slice(const TargetBatch& batch, std::int64_t from, std::int64_t count) {
  return {batch.data.begin() + from, batch.data.begin() + from + count};
}

// The attention each token of target i of `batch` receives from its query group (empty without
// queries): a one-KV-head layer for computeAttentionStats.
std::vector<float> attentionReceived(const KindBatch& batch, std::size_t i, const std::string& device) {
  if (!batch.hasQueries || batch.queriesPerTarget < 1) return {};
  const std::int64_t G = batch.queriesPerTarget, T = batch.keys.t, D = batch.keys.d;
  const auto at = static_cast<std::int64_t>(i);
  LayerQKV layer{G, 1, T, D, slice(batch.queries, at * G * T * D, G * T * D), slice(batch.keys, at * T * D, T * D),
                 slice(batch.values, at * T * D, T * D)};
  return computeAttentionStats(layer, /*sensitivityQueries=*/1, device).sinkShare;
}

// The first `tokens` tokens of the capture as text, or false when it cannot be decoded.
bool decodeTokens(const Project& project, const CaptureInfo& capture, int tokens, std::vector<std::string>& out) {
  const auto ids = project.tokenIds(capture.name);
  const auto model = captureModelPath(project.path(), capture.metadataJson);
  if (static_cast<int>(ids.size()) < tokens || model.empty() || !std::filesystem::exists(model)) return false;
  try {
    const Tokenizer tokenizer = Tokenizer::load(Tokenizer::findFor(model));
    out = tokenTexts(tokenizer, std::vector<int>(ids.begin(), ids.begin() + tokens));
    return true;
  } catch (const InputError&) {  // a model folder without its tokenizer: positions instead
    return false;
  }
}

}  // namespace

JobKeepMap jobKeepMap(const Project& project, const std::string& jobKey, const std::string& device,
                      JobContext& ctx) {
  const FoundJob found = findSweepJob(project, jobKey);
  const SweepJob& job = found.job;
  const MethodDescriptor& method = methodDescriptor(job.method);
  if (method.family != MethodFamily::Eviction)
    throw InputError(project.path(), "job " + job.key.substr(0, 8) + " runs '" + job.method + "', a " +
                                         familyName(method.family) +
                                         " method that keeps every token: a keep map needs a token-eviction "
                                         "method (" + evictionMethodNames() + ")");
  TargetReader reader(project, job.capture);
  const CaptureInfo& capture = reader.info();
  const auto refs = jobTargets(found.spec, capture);
  const auto compressor = makeCompressor(job.method);
  const auto seed = sweepJobSeed(found.spec, job);

  JobKeepMap map;
  map.job = job.key;
  map.run = found.run.id;
  map.capture = job.capture;
  map.method = job.method;
  map.paramsText = paramsText(job.params.dump());
  map.tokens = job.seqLength;
  const auto kinds = static_cast<double>(found.spec.kinds.size());
  std::optional<KindBatch> first;  // its keys and queries give the attention of both kinds
  for (std::size_t k = 0; k < found.spec.kinds.size(); ++k) {
    const std::string& kind = found.spec.kinds[k];
    auto batch = buildKindBatch(reader, refs, kind, job.seqLength);
    SubJobContext fitCtx(ctx, kFitShare * static_cast<double>(k) / kinds, kFitShare / kinds, kind + " targets: ");
    BatchFit fit;
    try {
      fit = compressor->fit(batch.targets, job.params, batch.fitInputs(seed), device, fitCtx);
    } catch (const Infeasible& e) {
      throw InputError(project.path(), "job " + job.key.substr(0, 8) + " is infeasible: " + e.what());
    }
    for (std::size_t i = 0; i < refs.size(); ++i) {
      KeepMapTarget t{refs[i].layer, refs[i].head, kind, std::move(fit.targets[i].kept), {}};
      if (t.kept.empty()) t.kept.assign(static_cast<std::size_t>(job.seqLength), 1);  // kept every token
      map.targets.push_back(std::move(t));
    }
    if (!first) first = std::move(batch);
  }
  for (std::size_t i = 0; first && i < refs.size(); ++i) {
    ctx.checkCancelled();
    const auto received = attentionReceived(*first, i, device);
    for (std::size_t k = 0; k < found.spec.kinds.size(); ++k) map.targets[k * refs.size() + i].attention = received;
    ctx.report(kFitShare + (1 - kFitShare) * static_cast<double>(i + 1) / static_cast<double>(refs.size()),
               "attention received");
  }
  map.decoded = decodeTokens(project, capture, map.tokens, map.tokenTexts);
  if (!map.decoded) {
    map.tokenTexts.clear();
    for (int p = 0; p < map.tokens; ++p) map.tokenTexts.push_back(std::to_string(p));
  }
  ctx.report(1.0, "done");
  return map;
}

KeepSummary summarizeKeep(const KeepMapTarget& target) {
  const auto& kept = target.kept;
  KeepSummary s;
  s.tokens = static_cast<int>(kept.size());
  s.kept = static_cast<int>(std::count(kept.begin(), kept.end(), 1));
  s.sinkRun = static_cast<int>(std::find(kept.begin(), kept.end(), 0) - kept.begin());
  s.recentRun = static_cast<int>(std::find(kept.rbegin(), kept.rend(), 0) - kept.rbegin());
  if (target.attention.size() == kept.size() && !kept.empty()) {
    double all = 0, onKept = 0;
    for (std::size_t j = 0; j < kept.size(); ++j) {
      all += target.attention[j];
      if (kept[j]) onKept += target.attention[j];
    }
    s.attentionKept = all > 0 ? onKept / all : std::nan("");
  }
  return s;
}

}  // namespace kvwb::core
