// Llama-family forward pass over a per-layer KV cache, batched over equal-length sequences
// (RMSNorm, Qwen3's q/k norms, RoPE with llama3 scaling, causal GQA attention with Mistral's
// sliding window, SwiGLU) and what is built on it: logits, captures, greedy decoding, perplexity.
#include "core/model/llama_model.h"

#include <cmath>
#include <numbers>

#include "core/base/errors.h"
#include "core/model/llama_weights.h"

namespace kvwb::core {
namespace {

struct LayerCache {
  torch::Tensor k, v;      // [B, kvHeads, T, D], post-RoPE keys
  torch::Tensor evicted;   // [B, kvHeads, C] bool over the first C positions, or undefined
};
using Cache = std::vector<LayerCache>;
using Batch = std::vector<std::vector<int>>;
using SubstitutionBatch = std::vector<std::vector<CacheSubstitution>>;

// Which logits a forward pass computes: none (prefill), the last position's, or every position's.
enum class Logits { None, Last, All };

std::vector<float> toFloats(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The rows of a [B, ...] tensor, one float vector per batch entry.
std::vector<std::vector<float>> splitBatch(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  const std::int64_t batch = c.size(0), per = batch > 0 ? c.numel() / batch : 0;
  std::vector<std::vector<float>> out;
  for (std::int64_t b = 0; b < batch; ++b)
    out.emplace_back(c.data_ptr<float>() + b * per, c.data_ptr<float>() + (b + 1) * per);
  return out;
}

// The requested tensors of a batched forward pass ([B, heads, n, D]), copied to host memory
// layer by layer and split per sequence: layers[b][l].
struct Recorder {
  CaptureRequest want;
  std::vector<std::vector<LayerCapture>> layers;

  void add(const torch::Tensor& k, const torch::Tensor& kPre, const torch::Tensor& v,
           const torch::Tensor& q, const torch::Tensor& attn) {
    const std::size_t batch = static_cast<std::size_t>(k.size(0));
    layers.resize(batch);
    for (auto& seq : layers) seq.emplace_back();
    const auto put = [&](bool wanted, const torch::Tensor& t, std::vector<float> LayerCapture::*f) {
      if (!wanted) return;
      auto rows = splitBatch(t);
      for (std::size_t b = 0; b < batch; ++b) layers[b].back().*f = std::move(rows[b]);
    };
    put(want.keys, k, &LayerCapture::keys);
    put(want.keysPreRope, kPre, &LayerCapture::keysPreRope);
    put(want.values, v, &LayerCapture::values);
    put(want.queries, q, &LayerCapture::queries);
    put(want.attnOutput, attn, &LayerCapture::attnOutput);
  }
};

torch::ScalarType parseDtype(const std::string& name, const std::string& fallback) {
  const std::string n = name == "auto" ? fallback : name;
  if (n == "float32" || n == "float") return torch::kFloat32;
  if (n == "bfloat16") return torch::kBFloat16;
  if (n == "float16" || n == "half") return torch::kFloat16;
  throw std::invalid_argument("unknown dtype \"" + name + "\" (float32, bfloat16, float16, auto)");
}

torch::Device parseDevice(const std::string& name) {
  if (name == "auto")
    return torch::cuda::is_available() ? torch::Device("cuda:0") : torch::Device("cpu");
  return torch::Device(name);
}

// Inverse frequencies of the rotary pairs, float32 as transformers computes them.
torch::Tensor inverseFrequencies(const ModelConfig& c) {
  auto inv = 1.0 / torch::pow(torch::tensor(c.ropeTheta, torch::kFloat32),
                              torch::arange(0, c.headDim, 2, torch::kFloat32) / c.headDim);
  const RopeScaling& s = c.ropeScaling;
  if (s.type == "linear") return inv / s.factor;
  if (s.type != "llama3") return inv;
  const double lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const double highWavelen = s.originalMaxPositions / s.highFreqFactor;
  const auto wavelen = 2 * std::numbers::pi / inv;
  auto scaled = torch::where(wavelen > lowWavelen, inv / s.factor, inv);
  const auto smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  const auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const auto medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

struct LlamaModel::Impl {
  LlamaWeights w;
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kFloat32;
  torch::Tensor invFreq;  // [D/2] float32 on device

  torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight) const {
    const auto xf = x.to(torch::kFloat32);
    const auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + w.config.rmsNormEps);
    return weight * normed.to(dtype);
  }

  // x: [B, heads, n, D]; positions start..start+n-1 (the same for every sequence).
  torch::Tensor rope(const torch::Tensor& x, std::int64_t start) const {
    const std::int64_t n = x.size(2), half = x.size(3) / 2;
    const auto pos = torch::arange(start, start + n,
                                   torch::TensorOptions().dtype(torch::kFloat32).device(device));
    const auto angles = pos.unsqueeze(1) * invFreq.unsqueeze(0);  // [n, D/2]
    const auto cos = angles.cos().to(dtype), sin = angles.sin().to(dtype);
    if (w.config.ropeInterleaved) {
      const auto pairs = x.reshape({x.size(0), x.size(1), n, half, 2});
      const auto x0 = pairs.select(4, 0), x1 = pairs.select(4, 1);
      return torch::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, 4).reshape(x.sizes());
    }
    const auto x1 = x.narrow(3, 0, half), x2 = x.narrow(3, half, half);
    return torch::cat({x1 * cos - x2 * sin, x2 * cos + x1 * sin}, 3);
  }

  // [B, n] token tensor on the device; every sequence must have the same, non-zero length.
  torch::Tensor tokens(const Batch& ids, const char* what) const {
    const std::size_t n = ids.front().size();
    if (n == 0) throw std::invalid_argument(std::string(what) + ": no tokens");
    std::vector<std::int64_t> flat;
    flat.reserve(ids.size() * n);
    for (const auto& seq : ids) {
      if (seq.size() != n)
        throw std::invalid_argument(std::string(what) + ": sequences of different lengths (" +
                                    std::to_string(n) + " and " + std::to_string(seq.size()) +
                                    "); a batch needs one length");
      for (const int id : seq) {
        if (id < 0 || id >= w.config.vocabSize)
          throw std::invalid_argument("token id " + std::to_string(id) +
                                      " outside the vocabulary of " +
                                      std::to_string(w.config.vocabSize));
        flat.push_back(id);
      }
    }
    return torch::tensor(flat, torch::kLong)
        .view({static_cast<std::int64_t>(ids.size()), static_cast<std::int64_t>(n)})
        .to(device);
  }

  // Runs idx [B, n] at positions start.. over `cache`. append: their K/V join the cache;
  // otherwise the cache must already hold positions up to start+n-1 and is attended as it is.
  // Returns float32 logits [B, n or 1, vocab] as `out` asks (undefined for Logits::None).
  torch::Tensor forward(const torch::Tensor& idx, std::int64_t start, Cache& cache, bool append,
                        Recorder* rec, Logits out) const {
    const ModelConfig& c = w.config;
    const std::int64_t B = idx.size(0), n = idx.size(1), D = c.headDim, kvHeads = c.numKvHeads;
    auto x = w.embed.index_select(0, idx.reshape({-1})).view({B, n, c.hiddenSize});
    const std::int64_t total = start + n;
    const auto longs = torch::TensorOptions().dtype(torch::kLong).device(device);
    const auto keyPos = torch::arange(total, longs).unsqueeze(0);
    const auto queryPos = torch::arange(start, total, longs).unsqueeze(1);
    auto masked = keyPos > queryPos;  // [n, total]: causal, and Mistral's window below
    if (c.slidingWindow > 0) masked = masked.logical_or(queryPos - keyPos >= c.slidingWindow);
    const int group = c.queriesPerKvHead();
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    for (int l = 0; l < c.numLayers; ++l) {
      const LayerWeights& L = w.layers[l];
      const auto h = rmsNorm(x, L.attnNorm);
      auto heads = [&](const torch::Tensor& weight, const torch::Tensor& bias, int count) {
        return torch::linear(h, weight, bias).view({B, n, count, D}).transpose(1, 2);
      };
      auto qPre = heads(L.wq, L.bq, c.numHeads), kPre = heads(L.wk, L.bk, c.numKvHeads);
      if (c.qkNorm) {  // Qwen3: per-head RMSNorm over head_dim, before RoPE
        qPre = rmsNorm(qPre, L.qNorm);
        kPre = rmsNorm(kPre, L.kNorm);
      }
      const auto q = rope(qPre, start).contiguous();  // [B, H, n, D]
      const auto k = rope(kPre, start).contiguous();
      const auto v = heads(L.wv, L.bv, c.numKvHeads).contiguous();
      LayerCache& lc = cache[l];
      if (append) {
        lc.k = lc.k.defined() ? torch::cat({lc.k, k}, 2) : k;
        lc.v = lc.v.defined() ? torch::cat({lc.v, v}, 2) : v;
      }
      if (!lc.k.defined() || lc.k.size(2) != total || lc.k.size(0) != B)
        throw std::logic_error("KV cache shape does not match the batch and positions");
      // GQA without copying the cache: query heads g*group.. read KV head g, so [B, H, n, D]
      // is [B, kvHeads, group * n, D] against the cache's [B, kvHeads, total, D].
      auto scores = torch::matmul(q.view({B, kvHeads, group * n, D}), lc.k.transpose(2, 3))
                        .to(torch::kFloat32) *
                    scale;
      scores = scores.view({B, kvHeads, group, n, total})
                   .masked_fill(masked, -std::numeric_limits<float>::infinity());
      if (lc.evicted.defined())
        scores = scores.masked_fill(evictedFor(lc.evicted, keyPos, queryPos),
                                    -std::numeric_limits<float>::infinity());
      const auto probs = torch::softmax(scores, -1).to(dtype).view({B, kvHeads, group * n, total});
      const auto attn = torch::matmul(probs, lc.v).view({B, c.numHeads, n, D});
      if (rec) rec->add(k, kPre, v, q, attn);
      x = x + torch::linear(attn.transpose(1, 2).reshape({B, n, c.numHeads * D}), L.wo, L.bo);
      const auto h2 = rmsNorm(x, L.ffnNorm);
      x = x + torch::linear(torch::silu(torch::linear(h2, L.wGate)) * torch::linear(h2, L.wUp),
                            L.wDown);
    }
    if (out == Logits::None) return {};
    if (out == Logits::Last) x = x.narrow(1, n - 1, 1);
    return torch::linear(rmsNorm(x, w.finalNorm), w.lmHead).to(torch::kFloat32);
  }

  Cache emptyCache() const { return Cache(w.config.numLayers); }

  // [B, kvHeads, 1, n, total]: the evicted positions of the first C, hidden from every query but
  // the one at that position (docs/EVICTION.md).
  static torch::Tensor evictedFor(const torch::Tensor& evicted, const torch::Tensor& keyPos,
                                  const torch::Tensor& queryPos) {
    const auto total = keyPos.size(1), context = evicted.size(2);
    const auto padded = torch::cat(  // [B, kvHeads, total]
        {evicted, torch::zeros({evicted.size(0), evicted.size(1), total - context}, evicted.options())}, 2);
    return padded.unsqueeze(2).unsqueeze(2).logical_and(keyPos != queryPos);
  }

  // Throws std::invalid_argument unless every substitution names a target of the model and holds
  // context x head_dim values.
  void checkSubstitutions(const SubstitutionBatch& subs, std::size_t batch, int context) const {
    const ModelConfig& c = w.config;
    if (subs.size() != batch)
      throw std::invalid_argument("substitution lists: " + std::to_string(subs.size()) +
                                  " for a batch of " + std::to_string(batch) + " sequences");
    for (const auto& list : subs)
      for (const auto& s : list) {
        if (s.layer < 0 || s.layer >= c.numLayers || s.head < 0 || s.head >= c.numKvHeads)
          throw std::invalid_argument("substitution target (layer " + std::to_string(s.layer) +
                                      ", head " + std::to_string(s.head) + ") outside the model");
        if (s.data.size() != static_cast<std::size_t>(context) * c.headDim)
          throw std::invalid_argument(
              "substitution data has " + std::to_string(s.data.size()) +
              " values; expected context x head_dim = " + std::to_string(context * c.headDim));
        if (!s.keep.empty() && s.keep.size() != static_cast<std::size_t>(context))
          throw std::invalid_argument("substitution keep mask has " + std::to_string(s.keep.size()) +
                                      " flags; expected the context's " + std::to_string(context));
      }
  }

  // The cache of prefix [B, C] with each sequence's substitutions written over it.
  Cache substitutedCache(const torch::Tensor& prefix, const SubstitutionBatch& subs) const {
    const std::int64_t context = prefix.size(1);
    Cache cache = emptyCache();
    forward(prefix, 0, cache, true, nullptr, Logits::None);
    for (std::size_t b = 0; b < subs.size(); ++b)
      for (const auto& s : subs[b]) {
        const auto data = torch::from_blob(const_cast<float*>(s.data.data()),
                                           {context, w.config.headDim}, torch::kFloat32);
        (s.keys ? cache[s.layer].k : cache[s.layer].v)[static_cast<std::int64_t>(b)][s.head].copy_(
            data);
        if (s.keep.empty()) continue;
        auto& evicted = cache[s.layer].evicted;
        if (!evicted.defined())
          evicted = torch::zeros({prefix.size(0), w.config.numKvHeads, context},
                                 torch::TensorOptions().dtype(torch::kBool).device(device));
        const auto keep = torch::from_blob(const_cast<std::uint8_t*>(s.keep.data()), {context},
                                           torch::kUInt8);
        evicted[static_cast<std::int64_t>(b)][s.head].logical_or_(keep.eq(0).to(device));
      }
    return cache;
  }

  // Logits predicting idx[:, C..] given each sequence's substituted context cache,
  // [B, n - C, vocab]: see perplexityWithCache.
  torch::Tensor continuationLogits(const torch::Tensor& idx, int context,
                                   const SubstitutionBatch& subs) const {
    const std::int64_t n = idx.size(1);
    Cache cache = substitutedCache(idx.narrow(1, 0, context), subs);
    const auto first =
        forward(idx.narrow(1, context - 1, 1), context - 1, cache, false, nullptr, Logits::All);
    if (context + 1 >= n) return first;
    return torch::cat({first, forward(idx.narrow(1, context, n - context - 1), context, cache, true,
                                      nullptr, Logits::All)},
                      1);
  }

  // Greedy decoding from `logits` ([B, *, vocab], the last row predicts position `pos`): up to
  // nTokens ids per sequence, each stopping after `stopId` if >= 0 (the batch runs until all stop).
  Batch greedy(Cache& cache, torch::Tensor logits, std::int64_t pos, int nTokens,
               int stopId) const {
    const std::size_t batch = static_cast<std::size_t>(logits.size(0));
    Batch out(batch);
    std::vector<bool> stopped(batch, false);
    for (int step = 0; step < nTokens; ++step) {
      const auto next = logits.select(1, logits.size(1) - 1).argmax(-1);  // [B]
      const auto host = next.to(torch::kCPU, torch::kLong).contiguous();
      bool allStopped = true;
      for (std::size_t b = 0; b < batch; ++b) {
        const int id = static_cast<int>(host.data_ptr<std::int64_t>()[b]);
        if (!stopped[b]) out[b].push_back(id);
        stopped[b] = stopped[b] || id == stopId;
        allStopped = allStopped && stopped[b];
      }
      if (allStopped || step + 1 == nTokens) break;
      logits = forward(next.unsqueeze(1), pos++, cache, true, nullptr, Logits::Last);
    }
    return out;
  }
};

LlamaModel::LlamaModel(const std::filesystem::path& path, const LoadOptions& options)
    : m_impl(std::make_unique<Impl>()) {
  torch::NoGradGuard noGrad;
  Impl& m = *m_impl;
  const bool folder = std::filesystem::is_directory(path);
  if (!folder && !std::filesystem::exists(path)) throw InputError(path, "no such file or folder");
  const std::string checkpointDtype =
      folder ? parseModelConfig(path / "config.json").torchDtype : std::string("float32");
  try {
    m.device = parseDevice(options.device);
    m.dtype = parseDtype(options.dtype, checkpointDtype);
  } catch (const std::exception& e) {
    throw InputError(path, std::string("bad load option: ") + e.what());
  }
  m.w =
      folder ? loadHfWeights(path, m.device, m.dtype) : loadLlama2cWeights(path, m.device, m.dtype);
  m.invFreq = inverseFrequencies(m.w.config).to(m.device);
}

LlamaModel::~LlamaModel() = default;
LlamaModel::LlamaModel(LlamaModel&&) noexcept = default;
LlamaModel& LlamaModel::operator=(LlamaModel&&) noexcept = default;

const ModelConfig& LlamaModel::config() const { return m_impl->w.config; }
std::string LlamaModel::device() const { return m_impl->device.str(); }
std::string LlamaModel::dtype() const {
  return m_impl->dtype == torch::kFloat32    ? "float32"
         : m_impl->dtype == torch::kBFloat16 ? "bfloat16"
                                             : "float16";
}

std::vector<float> LlamaModel::logits(const std::vector<int>& ids) const {
  return capture(ids, {.keys = false, .values = false, .logits = true}).logits;
}

KvCapture LlamaModel::capture(const std::vector<int>& ids, const CaptureRequest& request) const {
  if (ids.empty()) throw std::invalid_argument("capture: no tokens");
  return std::move(captureBatch({ids}, request).front());
}

std::vector<KvCapture> LlamaModel::captureBatch(const std::vector<std::vector<int>>& ids,
                                                const CaptureRequest& request) const {
  torch::NoGradGuard noGrad;
  if (ids.empty()) return {};
  const ModelConfig& c = config();
  const auto idx = m_impl->tokens(ids, "capture");
  Cache cache = m_impl->emptyCache();
  Recorder rec{request, {}};
  const auto logits =
      m_impl->forward(idx, 0, cache, true, &rec, request.logits ? Logits::All : Logits::None);
  auto logitRows = request.logits ? splitBatch(logits) : std::vector<std::vector<float>>{};
  std::vector<KvCapture> out;
  for (std::size_t b = 0; b < ids.size(); ++b) {
    KvCapture kv{c.numLayers, c.numHeads, c.numKvHeads, c.headDim, static_cast<int>(ids[b].size()),
                 c.vocabSize, ids[b],     {},           {}};
    if (b < rec.layers.size()) kv.layers = std::move(rec.layers[b]);
    if (request.logits) kv.logits = std::move(logitRows[b]);
    out.push_back(std::move(kv));
  }
  return out;
}

std::vector<int> LlamaModel::generate(const std::vector<int>& prompt, int nTokens,
                                      int stopId) const {
  torch::NoGradGuard noGrad;
  if (prompt.empty()) throw std::invalid_argument("generate: empty prompt");
  Cache cache = m_impl->emptyCache();
  const auto logits =
      m_impl->forward(m_impl->tokens({prompt}, "generate"), 0, cache, true, nullptr, Logits::Last);
  return m_impl->greedy(cache, logits, static_cast<std::int64_t>(prompt.size()), nTokens, stopId)
      .front();
}

std::vector<std::vector<int>> LlamaModel::generateWithCacheBatch(
    const std::vector<std::vector<int>>& prefixes,
    const std::vector<std::vector<CacheSubstitution>>& substitutions, int nTokens) const {
  torch::NoGradGuard noGrad;
  if (prefixes.empty()) return {};
  const auto idx = m_impl->tokens(prefixes, "generateWithCacheBatch");
  const std::int64_t T = idx.size(1);
  m_impl->checkSubstitutions(substitutions, prefixes.size(), static_cast<int>(T));
  if (nTokens <= 0) return std::vector<std::vector<int>>(prefixes.size());
  Cache cache = m_impl->substitutedCache(idx, substitutions);
  const auto logits =
      m_impl->forward(idx.narrow(1, T - 1, 1), T - 1, cache, false, nullptr, Logits::Last);
  return m_impl->greedy(cache, logits, T, nTokens, -1);
}

double LlamaModel::meanNll(const std::vector<int>& ids) const {
  torch::NoGradGuard noGrad;
  if (ids.size() < 2) throw std::invalid_argument("meanNll: needs at least 2 tokens");
  Cache cache = m_impl->emptyCache();
  const auto logits =
      m_impl->forward(m_impl->tokens({ids}, "meanNll"), 0, cache, true, nullptr, Logits::All)[0];
  const auto targets =
      torch::tensor(std::vector<std::int64_t>(ids.begin() + 1, ids.end()), torch::kLong)
          .to(m_impl->device);
  const auto logp = torch::log_softmax(logits.narrow(0, 0, logits.size(0) - 1), -1);
  return -logp.gather(1, targets.unsqueeze(1)).to(torch::kFloat64).mean().item<double>();
}

std::vector<float> LlamaModel::continuationLogits(
    const std::vector<int>& ids, int contextLength,
    const std::vector<CacheSubstitution>& substitutions) const {
  return std::move(continuationLogitsBatch({ids}, contextLength, {substitutions}).front());
}

std::vector<std::vector<float>> LlamaModel::continuationLogitsBatch(
    const std::vector<std::vector<int>>& ids, int contextLength,
    const std::vector<std::vector<CacheSubstitution>>& substitutions) const {
  torch::NoGradGuard noGrad;
  if (ids.empty()) return {};
  if (contextLength < 1 || static_cast<std::size_t>(contextLength) >= ids.front().size())
    throw std::invalid_argument("continuationLogits: need 1 <= context < number of tokens");
  const auto idx = m_impl->tokens(ids, "continuationLogits");
  m_impl->checkSubstitutions(substitutions, ids.size(), contextLength);
  return splitBatch(m_impl->continuationLogits(idx, contextLength, substitutions));
}

PerplexityResult LlamaModel::perplexityWithCache(
    const std::vector<int>& ids, int contextLength,
    const std::vector<CacheSubstitution>& substitutions) const {
  torch::NoGradGuard noGrad;
  if (contextLength < 1 || static_cast<std::size_t>(contextLength) >= ids.size())
    throw std::invalid_argument("perplexityWithCache: need 1 <= context < number of tokens");
  // One batch of two: the exact cache and the substituted one.
  const auto idx = m_impl->tokens({ids, ids}, "perplexityWithCache");
  const SubstitutionBatch subs{{}, substitutions};
  m_impl->checkSubstitutions(subs, 2, contextLength);
  const auto logits = m_impl->continuationLogits(idx, contextLength, subs);
  const auto targets =
      idx.narrow(1, contextLength, idx.size(1) - contextLength).unsqueeze(2);  // [2, n - C, 1]
  const auto nll = -torch::log_softmax(logits, -1)
                        .gather(2, targets)
                        .squeeze(2)
                        .to(torch::kFloat64);  // [2, n - C]
  const auto meanNll = nll.mean(1).to(torch::kCPU);
  PerplexityResult r;
  r.scoredTokens = static_cast<int>(ids.size()) - contextLength;
  r.exactMeanNll = meanNll[0].item<double>();
  r.meanNll = meanNll[1].item<double>();
  r.exactPerplexity = std::exp(r.exactMeanNll);
  r.perplexity = std::exp(r.meanNll);
  return r;
}

}  // namespace kvwb::core
