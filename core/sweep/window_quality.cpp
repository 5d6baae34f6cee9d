// Windowed model quality of a sweep job and its stored baseline (see window_quality.h).
#include "core/sweep/window_quality.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/base/errors.h"
#include "core/base/resource_paths.h"
#include "core/base/stable_hash.h"
#include "core/capture/capture_extract.h"
#include "core/model/tokenizer.h"
#include "core/sweep/fit_and_measure.h"
#include "core/sweep/target_batch.h"
#include "gpu/device.h"

namespace kvwb::core {
namespace {

constexpr int kTopTokens = 5;

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
  const auto ids = project.tokenIds(capture.name);
  return {{ids.begin(), ids.end()}, "the capture's own " + std::to_string(capture.tokens) + " tokens"};
}

// Window ids: BOS, then the text from `start`.
std::vector<int> windowIds(const std::vector<int>& text, int start, int length) {
  std::vector<int> ids(text.begin() + start, text.begin() + start + length);
  ids.front() = text.front();  // BOS, as the extractor starts every window
  return ids;
}

// Name, size and the first and last 64 KiB of every file of the checkpoint (a folder or one
// file): cheap for any size, and changed by any real edit of config, weights or tokenizer.
std::string modelFingerprint(const std::filesystem::path& model) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(model)) {
    for (const auto& e : std::filesystem::directory_iterator(model))
      if (e.is_regular_file()) files.push_back(e.path());
  } else {
    files.push_back(model);
  }
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& f : files) {
    const auto size = std::filesystem::file_size(f);
    std::ifstream in(f, std::ios::binary);
    std::string head(std::min<std::uintmax_t>(size, 65536), '\0'), tail = head;
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    in.seekg(static_cast<std::streamoff>(size - tail.size()));
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    text += f.filename().string() + ":" + std::to_string(size) + ":" + stableHashHex(head) + stableHashHex(tail) + ";";
  }
  return stableHashHex(text);
}

// The top-k ids and probabilities of one logits row.
TopTokens topTokens(std::span<const float> logits) {
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const auto k = std::min<std::size_t>(kTopTokens, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int a, int b) { return logits[a] > logits[b]; });
  const double top = logits[order.front()];
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - top);
  TopTokens t;
  for (std::size_t i = 0; i < k; ++i) {
    t.ids.push_back(order[i]);
    t.probs.push_back(static_cast<float>(std::exp(static_cast<double>(logits[order[i]]) - top) / sum));
  }
  return t;
}

// The batch's window captures as one capture whose layer w * L + l is layer l of window w, so
// that every target of every window is fitted in one batch per kind.
KvCapture stackWindows(std::vector<KvCapture> windows) {
  KvCapture all = windows.front();
  all.layers.clear();
  for (auto& w : windows)
    for (auto& layer : w.layers) all.layers.push_back(std::move(layer));
  all.numLayers = static_cast<int>(all.layers.size());
  return all;
}

}  // namespace

std::filesystem::path requireCaptureModel(const Project& project, const std::string& capture) {
  const auto path = captureModelPath(project.path(), project.capture(capture).metadataJson);
  if (path.empty() || !std::filesystem::exists(path))
    throw InputError(project.path(), "capture '" + capture + "' has no model to score with (" +
                                         (path.empty() ? "imported dump" : path.string() + " not found") + ")");
  return path;
}

double JobQuality::deltaPerplexity() const {
  double base = 0, compressed = 0;
  int n = 0;
  for (const auto& w : windows)
    for (const auto& t : w) base += t.nllBase, compressed += t.nllCompressed, ++n;
  return n ? std::exp(compressed / n) - std::exp(base / n) : std::nan("");
}

WindowQuality::WindowQuality(const Project& project, const std::string& capture, const LlamaModel& model,
                             const WindowSpec& spec, int prefix, bool store, const std::string& device,
                             JobContext& ctx)
    : m_project(project), m_model(model), m_capture(project.capture(capture)), m_spec(spec), m_device(device) {
  const auto modelPath = requireCaptureModel(project, capture);
  const Tokenizer tokenizer = Tokenizer::load(Tokenizer::findFor(modelPath));
  const CaptureText text = captureText(project, m_capture, tokenizer);
  m_text = text.source;
  m_prefix = spec.prefix > 0 ? spec.prefix : prefix;
  const int length = m_prefix + std::max(spec.continuation, spec.greedy);
  m_starts = windowStarts(static_cast<int>(text.ids.size()), spec, m_prefix);
  if (m_starts.empty())
    throw InputError(project.path(), text.source + " holds " + std::to_string(text.ids.size()) +
                                         " tokens: too few for one quality window of " + std::to_string(m_prefix) +
                                         " + " + std::to_string(length - m_prefix) + " tokens");
  for (int s : m_starts) m_ids.push_back(windowIds(text.ids, s, length));

  auto windows = toJson(spec);
  windows.erase("batch");
  windows.erase("seed");  // the baseline holds no bootstrap
  windows.erase("per_target");
  std::string idsText;
  for (int id : text.ids) idsText += std::to_string(id) + ",";
  m_key = stableHashHex(modelFingerprint(modelPath) + "|" + stableHashHex(idsText) + "|" + std::to_string(m_prefix) +
                        "|" + windows.dump() + "|" + model.dtype());
  const auto group = qualityBaselineGroup(m_capture.name, m_key);
  const auto stored = nlohmann::json::parse(project.arrayGroupAttrs(group), nullptr, false);
  if (stored.is_object() && stored.value("key", "") == m_key) {
    m_loaded = true;
    return;
  }

  const std::size_t W = m_starts.size(), C = spec.continuation, G = spec.greedy;
  const std::size_t B = static_cast<std::size_t>(spec.batch);
  for (std::size_t first = 0; first < W; first += B) {
    ctx.checkCancelled();
    ctx.report(static_cast<double>(first) / static_cast<double>(W), "baseline of the quality windows");
    const std::size_t count = std::min(B, W - first);
    std::vector<std::vector<int>> scored, prefixes;
    for (std::size_t w = first; w < first + count; ++w) {
      scored.emplace_back(m_ids[w].begin(), m_ids[w].begin() + m_prefix + static_cast<std::ptrdiff_t>(C));
      prefixes.emplace_back(m_ids[w].begin(), m_ids[w].begin() + m_prefix);
    }
    const gpu::ScopedCpuThreads oneThread(1);  // a batch of forwards is overhead-bound (device.h)
    for (const auto& l : model.continuationLogitsBatch(scored, m_prefix, std::vector<std::vector<CacheSubstitution>>(count)))
      m_logits.insert(m_logits.end(), l.begin(), l.end());
    if (G > 0)
      for (const auto& g : model.generateWithCacheBatch(prefixes, std::vector<std::vector<CacheSubstitution>>(count),
                                                        static_cast<int>(G)))
        m_greedy.insert(m_greedy.end(), g.begin(), g.end());
  }
  if (!store) return;
  const auto V = static_cast<std::int64_t>(model.config().vocabSize);
  const auto w = static_cast<std::int64_t>(W);
  std::vector<NamedArray> arrays = {{"logits", {w, static_cast<std::int64_t>(C), V}, m_logits}};
  if (G > 0) arrays.push_back({"greedy", {w, static_cast<std::int64_t>(G)}, m_greedy});
  const nlohmann::json attrs = {{"key", m_key},        {"prefix", m_prefix}, {"windows", windows},
                                {"starts", m_starts},  {"text", m_text},     {"model", modelPath.string()},
                                {"device", m_device},  {"vocab", V}};
  ProjectEdit edit(project.path());
  edit.writeArrayGroup(group, arrays, attrs.dump());
  edit.commit();
}

std::vector<float> WindowQuality::baselineLogits(std::size_t first, std::size_t count) const {
  const auto row = static_cast<std::size_t>(m_spec.continuation) * m_model.config().vocabSize;
  if (!m_loaded)
    return {m_logits.begin() + static_cast<std::ptrdiff_t>(first * row),
            m_logits.begin() + static_cast<std::ptrdiff_t>((first + count) * row)};
  auto a = m_project.readArray(qualityBaselineGroup(m_capture.name, m_key), "logits", static_cast<std::int64_t>(first),
                               static_cast<std::int64_t>(count));
  if (a.data.size() != count * row)
    throw InputError(m_project.path(), "quality baseline " + m_key + " of '" + m_capture.name + "' has the wrong shape");
  return std::move(a.data);
}

std::vector<float> WindowQuality::baselineGreedy(std::size_t first, std::size_t count) const {
  const auto G = static_cast<std::size_t>(m_spec.greedy);
  if (!m_loaded)
    return {m_greedy.begin() + static_cast<std::ptrdiff_t>(first * G),
            m_greedy.begin() + static_cast<std::ptrdiff_t>((first + count) * G)};
  auto a = m_project.readArray(qualityBaselineGroup(m_capture.name, m_key), "greedy", static_cast<std::int64_t>(first),
                               static_cast<std::int64_t>(count));
  if (a.data.size() != count * G)
    throw InputError(m_project.path(), "quality baseline " + m_key + " of '" + m_capture.name + "' has the wrong shape");
  return std::move(a.data);
}

JobQuality WindowQuality::measure(const SweepJob& job, const SweepSpec& spec, Compressor& compressor,
                                  JobContext& ctx, bool detail) const {
  const int L = m_capture.layers, V = m_model.config().vocabSize;
  const std::size_t W = m_starts.size(), C = m_spec.continuation, G = m_spec.greedy;
  const std::size_t B = static_cast<std::size_t>(m_spec.batch);
  JobQuality q;
  q.prefix = m_prefix;
  q.continuation = m_spec.continuation;
  q.text = m_text;
  q.starts = m_starts;
  q.greedyTokens = m_spec.greedy;
  std::vector<int> layers = spec.layers, heads = spec.heads;
  if (layers.empty()) layers.resize(static_cast<std::size_t>(L)), std::iota(layers.begin(), layers.end(), 0);
  if (heads.empty())
    heads.resize(static_cast<std::size_t>(m_capture.kvHeads)), std::iota(heads.begin(), heads.end(), 0);
  double steps = 0, equal = 0;
  std::vector<std::vector<std::vector<TokenQuality>>> targetWindows;  // [target][window][token]
  for (std::size_t first = 0; first < W; first += B) {
    ctx.checkCancelled();
    const std::size_t count = std::min(B, W - first);
    std::vector<std::vector<int>> prefixes, scored;
    for (std::size_t w = first; w < first + count; ++w) {
      prefixes.emplace_back(m_ids[w].begin(), m_ids[w].begin() + m_prefix);
      scored.emplace_back(m_ids[w].begin(), m_ids[w].begin() + m_prefix + static_cast<std::ptrdiff_t>(C));
    }
    CaptureRequest request;
    request.queries = true;
    CaptureInfo info = m_capture;
    info.layers = static_cast<std::int64_t>(count) * L;
    info.tokens = m_prefix;
    std::vector<KvCapture> captured;
    {
      const gpu::ScopedCpuThreads oneThread(1);  // as for the baseline
      captured = m_model.captureBatch(prefixes, request);
    }
    TargetReader reader(info, stackWindows(std::move(captured)), m_project.path());
    std::vector<TargetRef> refs;
    for (std::size_t w = 0; w < count; ++w)
      for (int l : layers)
        for (int h : heads) refs.push_back({static_cast<int>(w) * L + l, h});
    std::vector<std::vector<CacheSubstitution>> subs(count);
    const double share = static_cast<double>(count) / static_cast<double>(W) / static_cast<double>(spec.kinds.size());
    for (std::size_t k = 0; k < spec.kinds.size(); ++k) {
      const std::string& kind = spec.kinds[k];
      SubJobContext fitCtx(ctx, static_cast<double>(first) / static_cast<double>(W) + static_cast<double>(k) * share,
                           share, "quality windows " + std::to_string(first + 1) + "-" + std::to_string(first + count) + ": ");
      KindBatch batch = buildKindBatch(reader, refs, kind, m_prefix);
      batch.layerCount = static_cast<int>(L);  // windows are stacked as layers: depth = layer % L
      MeasuredFit fit = fitAndMeasure(compressor, batch, job.params, sweepJobSeed(spec, job), false, m_device, fitCtx);
      for (std::size_t i = 0; i < refs.size(); ++i)
        subs[static_cast<std::size_t>(refs[i].layer / L)].push_back(
            {refs[i].layer % L, refs[i].head, kind == "K", std::move(fit.fit.targets[i].reconstruction),
             std::move(fit.fit.targets[i].kept)});
    }
    const gpu::ScopedCpuThreads oneThread(1);
    const auto compressed = m_model.continuationLogitsBatch(scored, m_prefix, subs);
    const auto base = baselineLogits(first, count);
    for (std::size_t w = 0; w < count; ++w) {
      const std::span<const float> exact(base.data() + w * C * V, C * V);
      const std::vector<int> targets(scored[w].begin() + m_prefix, scored[w].end());
      q.windows.push_back(tokenQuality(exact, compressed[w], targets, V));
      q.ids.push_back(scored[w]);
      if (!detail) continue;
      auto& tokens = q.detail.emplace_back();
      for (std::size_t t = 0; t < C; ++t)
        tokens.push_back({topTokens(exact.subspan(t * V, V)),
                          topTokens(std::span<const float>(compressed[w]).subspan(t * V, V))});
    }
    if (m_spec.perTarget) {  // each target alone: substitution t of every window of the batch
      targetWindows.resize(subs.front().size());
      for (std::size_t t = 0; t < subs.front().size(); ++t) {
        ctx.checkCancelled();
        std::vector<std::vector<CacheSubstitution>> one(count);
        for (std::size_t w = 0; w < count; ++w) one[w] = {subs[w][t]};
        const auto logits = m_model.continuationLogitsBatch(scored, m_prefix, one);
        for (std::size_t w = 0; w < count; ++w)
          targetWindows[t].push_back(tokenQuality(std::span<const float>(base.data() + w * C * V, C * V), logits[w],
                                                  std::vector<int>(scored[w].begin() + m_prefix, scored[w].end()), V));
      }
    }
    if (G == 0) continue;
    const auto greedy = m_model.generateWithCacheBatch(prefixes, subs, static_cast<int>(G));
    const auto exactGreedy = baselineGreedy(first, count);
    for (std::size_t w = 0; w < count; ++w) {
      std::size_t t = 0;
      while (t < G && greedy[w][t] == static_cast<int>(exactGreedy[w * G + t])) ++t;
      steps += static_cast<double>(t);
      for (std::size_t i = 0; i < G; ++i) equal += greedy[w][i] == static_cast<int>(exactGreedy[w * G + i]);
    }
  }
  q.stats = qualityStats(q.windows, {.seed = m_spec.bootstrapSeed});
  for (const auto& target : targetWindows) q.perTarget.push_back(qualityStats(target, {.seed = m_spec.bootstrapSeed}));
  q.greedySteps = G ? steps / static_cast<double>(W) : std::nan("");
  q.greedyAgreement = G ? equal / static_cast<double>(W * G) : std::nan("");
  ctx.report(1.0, "scored " + std::to_string(q.stats.tokens) + " tokens");
  return q;
}

}  // namespace kvwb::core
