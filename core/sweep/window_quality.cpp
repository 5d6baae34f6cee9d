// Windowed model quality of a sweep job (see window_quality.h).
#include "core/sweep/window_quality.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/base/resource_paths.h"
#include "core/capture/capture_extract.h"
#include "core/compress/compressor.h"
#include "core/model/tokenizer.h"
#include "core/sweep/fit_and_measure.h"
#include "core/sweep/target_batch.h"

namespace kvwb::core {
namespace {

struct CaptureText {
  std::vector<int> ids;  // BOS first
  std::string source;
};

// The capture's whole source text tokenized as the extractor did (metadata text_file, looked up
// among the bundled texts), else the capture's own token ids: one window's worth.
CaptureText captureText(const Project& project, const CaptureInfo& capture, const Tokenizer& tokenizer) {
  const auto meta = nlohmann::json::parse(capture.metadataJson, nullptr, false);
  const std::string name = meta.is_object() ? meta.value("text_file", "") : "";
  const auto texts = resourceDirectory("resources/texts", executableDirectory());
  if (!name.empty() && !texts.empty() && std::filesystem::exists(texts / name))
    return {tokenizer.encode(readText(texts / name), /*addBos=*/true), (texts / name).string()};
  return {project.tokenIds(capture.name), "the capture's own " + std::to_string(capture.tokens) + " tokens"};
}

// Window w's ids: BOS, then the text from its start.
std::vector<int> windowIds(const std::vector<int>& text, int start, int length) {
  std::vector<int> ids(text.begin() + start, text.begin() + start + length);
  ids.front() = text.front();  // BOS, as the extractor starts every window
  return ids;
}

// Every target of the spec in the window's prefix compressed by the job's method.
std::vector<CacheSubstitution> compressedPrefix(const Project& project, const SweepJob& job, const SweepSpec& spec,
                                                const LlamaModel& model, const std::vector<int>& prefix,
                                                const std::string& device, JobContext& ctx) {
  CaptureRequest request;
  request.queries = true;
  const KvCapture kv = model.capture(prefix, request);
  CaptureInfo info = project.capture(job.capture);
  info.tokens = kv.numTokens;
  TargetReader reader(info, kv, project.path());
  std::vector<TargetRef> refs;
  for (int l = 0; l < info.layers; ++l)
    for (int h = 0; h < info.kvHeads; ++h)
      if ((spec.layers.empty() || std::find(spec.layers.begin(), spec.layers.end(), l) != spec.layers.end()) &&
          (spec.heads.empty() || std::find(spec.heads.begin(), spec.heads.end(), h) != spec.heads.end()))
        refs.push_back({l, h});
  const auto compressor = makeCompressor(job.method);
  std::vector<CacheSubstitution> subs;
  for (const std::string& kind : spec.kinds) {
    const KindBatch batch = buildKindBatch(reader, refs, kind, kv.numTokens);
    const MeasuredFit fit = fitAndMeasure(*compressor, batch, job.params, sweepJobSeed(spec, job), false, device, ctx);
    for (std::size_t i = 0; i < refs.size(); ++i)
      subs.push_back({refs[i].layer, refs[i].head, kind == "K", fit.fit.targets[i].reconstruction});
  }
  return subs;
}

}  // namespace

std::vector<int> windowStarts(int textTokens, const WindowSpec& spec, int prefix) {
  const int length = prefix + spec.continuation;
  const int stride = spec.stride > 0 ? spec.stride : length;
  std::vector<int> starts;
  for (int s = 0; s + length <= textTokens && static_cast<int>(starts.size()) < spec.windows; s += stride)
    starts.push_back(s);
  return starts;
}

JobQuality jobQuality(const Project& project, const SweepJob& job, const SweepSpec& spec,
                      const WindowSpec& windows, const std::string& device, JobContext& ctx) {
  const CaptureInfo& capture = project.capture(job.capture);
  const auto modelPath = captureModelPath(project.path(), capture.metadataJson);
  if (modelPath.empty() || !std::filesystem::exists(modelPath))
    throw InputError(project.path(), "capture '" + capture.name + "' has no model to score with (" +
                                         (modelPath.empty() ? "imported dump" : modelPath.string() + " not found") + ")");
  const LlamaModel model(modelPath, LoadOptions{.device = device});
  const Tokenizer tokenizer = Tokenizer::load(Tokenizer::findFor(modelPath));
  const CaptureText text = captureText(project, capture, tokenizer);
  JobQuality q;
  q.prefix = windows.prefix > 0 ? windows.prefix : job.seqLength;
  q.continuation = windows.continuation;
  q.text = text.source;
  q.starts = windowStarts(static_cast<int>(text.ids.size()), windows, q.prefix);
  if (q.starts.empty())
    throw InputError(project.path(), text.source + " holds " + std::to_string(text.ids.size()) +
                                         " tokens: too few for one window of " + std::to_string(q.prefix) + " + " +
                                         std::to_string(q.continuation));
  for (std::size_t w = 0; w < q.starts.size(); ++w) {
    ctx.checkCancelled();
    ctx.report(static_cast<double>(w) / static_cast<double>(q.starts.size()),
               "window " + std::to_string(w + 1) + "/" + std::to_string(q.starts.size()));
    const auto ids = windowIds(text.ids, q.starts[w], q.prefix + q.continuation);
    const std::vector<int> prefix(ids.begin(), ids.begin() + q.prefix);
    SubJobContext fitCtx(ctx, static_cast<double>(w) / static_cast<double>(q.starts.size()), 0, "");
    const auto subs = compressedPrefix(project, job, spec, model, prefix, device, fitCtx);
    const auto exact = model.continuationLogits(ids, q.prefix, {});
    const auto compressed = model.continuationLogits(ids, q.prefix, subs);
    const std::vector<int> targets(ids.begin() + q.prefix, ids.end());
    q.windows.push_back(tokenQuality(exact, compressed, targets, model.config().vocabSize));
  }
  q.stats = qualityStats(q.windows, {.seed = windows.bootstrapSeed});
  ctx.report(1.0, "scored " + std::to_string(q.stats.tokens) + " tokens");
  return q;
}

}  // namespace kvwb::core
