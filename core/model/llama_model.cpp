// Llama forward pass over a per-layer KV cache (RMSNorm, RoPE with llama3 scaling, causal GQA
// attention, SwiGLU) and the things built on it: logits, captures, greedy decoding, perplexity.
#include "core/model/llama_model.h"

#include <cmath>
#include <numbers>

#include "core/base/errors.h"
#include "core/model/llama_weights.h"

namespace kvwb::core {
namespace {

struct LayerCache {
  torch::Tensor k, v;  // [kvHeads, T, D], post-RoPE keys
};
using Cache = std::vector<LayerCache>;

std::vector<float> toFloats(const torch::Tensor& t) {
  const auto c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// The requested tensors of a forward pass, copied to host memory layer by layer.
struct Recorder {
  CaptureRequest want;
  std::vector<LayerCapture> layers;

  void add(const torch::Tensor& k, const torch::Tensor& kPre, const torch::Tensor& v,
           const torch::Tensor& q, const torch::Tensor& attn) {
    LayerCapture lc;
    if (want.keys) lc.keys = toFloats(k);
    if (want.keysPreRope) lc.keysPreRope = toFloats(kPre);
    if (want.values) lc.values = toFloats(v);
    if (want.queries) lc.queries = toFloats(q);
    if (want.attnOutput) lc.attnOutput = toFloats(attn);
    layers.push_back(std::move(lc));
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

  // x: [heads, n, D]; positions start..start+n-1.
  torch::Tensor rope(const torch::Tensor& x, std::int64_t start) const {
    const std::int64_t n = x.size(1), half = x.size(2) / 2;
    const auto pos = torch::arange(start, start + n,
                                   torch::TensorOptions().dtype(torch::kFloat32).device(device));
    const auto angles = pos.unsqueeze(1) * invFreq.unsqueeze(0);  // [n, D/2]
    const auto cos = angles.cos().to(dtype), sin = angles.sin().to(dtype);
    if (w.config.ropeInterleaved) {
      const auto pairs = x.reshape({x.size(0), n, half, 2});
      const auto x0 = pairs.select(3, 0), x1 = pairs.select(3, 1);
      return torch::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, 3).reshape(x.sizes());
    }
    const auto x1 = x.narrow(2, 0, half), x2 = x.narrow(2, half, half);
    return torch::cat({x1 * cos - x2 * sin, x2 * cos + x1 * sin}, 2);
  }

  // Runs ids at positions start.. over `cache`. append: their K/V join the cache; otherwise the
  // cache must already hold positions up to start+n-1 and is attended as it is. Returns logits.
  torch::Tensor forward(const std::vector<int>& ids, std::int64_t start, Cache& cache, bool append,
                        Recorder* rec) const {
    const ModelConfig& c = w.config;
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    for (const int id : ids)
      if (id < 0 || id >= c.vocabSize)
        throw std::invalid_argument("token id " + std::to_string(id) +
                                    " outside the vocabulary of " + std::to_string(c.vocabSize));
    const auto idx =
        torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end()), torch::kLong).to(device);
    auto x = w.embed.index_select(0, idx);  // [n, hidden]
    const std::int64_t total = start + n;
    const auto keyPos =
        torch::arange(total, torch::TensorOptions().dtype(torch::kLong).device(device));
    const auto queryPos =
        torch::arange(start, total, torch::TensorOptions().dtype(torch::kLong).device(device));
    const auto masked = keyPos.unsqueeze(0) > queryPos.unsqueeze(1);  // [n, total]
    const int group = c.queriesPerKvHead();
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.headDim));
    for (int l = 0; l < c.numLayers; ++l) {
      const LayerWeights& L = w.layers[l];
      const auto h = rmsNorm(x, L.attnNorm);
      auto heads = [&](const torch::Tensor& weight, const torch::Tensor& bias, int count) {
        return torch::linear(h, weight, bias).view({n, count, c.headDim}).transpose(0, 1);
      };
      const auto q = rope(heads(L.wq, L.bq, c.numHeads), start);
      const auto kPre = heads(L.wk, L.bk, c.numKvHeads);
      const auto k = rope(kPre, start).contiguous();
      const auto v = heads(L.wv, L.bv, c.numKvHeads).contiguous();
      LayerCache& lc = cache[l];
      if (append) {
        lc.k = lc.k.defined() ? torch::cat({lc.k, k}, 1) : k;
        lc.v = lc.v.defined() ? torch::cat({lc.v, v}, 1) : v;
      }
      if (!lc.k.defined() || lc.k.size(1) != total)
        throw std::logic_error("KV cache length does not match the positions");
      const auto keys = lc.k.repeat_interleave(group, 0), values = lc.v.repeat_interleave(group, 0);
      auto scores = torch::matmul(q, keys.transpose(1, 2)).to(torch::kFloat32) * scale;
      scores = scores.masked_fill(masked.unsqueeze(0), -std::numeric_limits<float>::infinity());
      const auto attn = torch::matmul(torch::softmax(scores, -1).to(dtype), values);  // [H, n, D]
      if (rec) rec->add(k, kPre, v, q, attn);
      x = x + torch::linear(attn.transpose(0, 1).reshape({n, c.numHeads * c.headDim}), L.wo, L.bo);
      const auto h2 = rmsNorm(x, L.ffnNorm);
      x = x + torch::linear(torch::silu(torch::linear(h2, L.wGate)) * torch::linear(h2, L.wUp),
                            L.wDown);
    }
    return torch::linear(rmsNorm(x, w.finalNorm), w.lmHead).to(torch::kFloat32);  // [n, vocab]
  }

  Cache emptyCache() const { return Cache(w.config.numLayers); }

  // Logits predicting ids[C..] given the (optionally substituted) context cache, [n - C, vocab]:
  // see perplexityWithCache.
  torch::Tensor continuationLogits(const std::vector<int>& ids, int context,
                                   const std::vector<CacheSubstitution>& subs) const {
    const ModelConfig& c = w.config;
    Cache cache = emptyCache();
    forward({ids.begin(), ids.begin() + context}, 0, cache, true, nullptr);
    for (const auto& s : subs) {
      if (s.layer < 0 || s.layer >= c.numLayers || s.head < 0 || s.head >= c.numKvHeads)
        throw std::invalid_argument("substitution target (layer " + std::to_string(s.layer) +
                                    ", head " + std::to_string(s.head) + ") outside the model");
      if (s.data.size() != static_cast<std::size_t>(context) * c.headDim)
        throw std::invalid_argument(
            "substitution data has " + std::to_string(s.data.size()) +
            " values; expected context x head_dim = " + std::to_string(context * c.headDim));
      const auto data = torch::from_blob(const_cast<float*>(s.data.data()), {context, c.headDim},
                                         torch::kFloat32);
      (s.keys ? cache[s.layer].k : cache[s.layer].v)[s.head].copy_(data);
    }
    const auto first = forward({ids[context - 1]}, context - 1, cache, false, nullptr);
    if (static_cast<std::size_t>(context) + 1 >= ids.size()) return first;
    return torch::cat(
        {first, forward({ids.begin() + context, ids.end() - 1}, context, cache, true, nullptr)});
  }

  // NLL of ids[C..] under continuationLogits, float64.
  torch::Tensor continuationNll(const std::vector<int>& ids, int context,
                                const std::vector<CacheSubstitution>& subs) const {
    const auto targets =
        torch::tensor(std::vector<std::int64_t>(ids.begin() + context, ids.end()), torch::kLong)
            .to(device);
    return -torch::log_softmax(continuationLogits(ids, context, subs), -1)
                .gather(1, targets.unsqueeze(1))
                .squeeze(1)
                .to(torch::kFloat64);
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
  torch::NoGradGuard noGrad;
  if (ids.empty()) throw std::invalid_argument("capture: no tokens");
  const ModelConfig& c = config();
  Cache cache = m_impl->emptyCache();
  Recorder rec{request, {}};
  const auto logits = m_impl->forward(ids, 0, cache, true, &rec);
  KvCapture out{
      c.numLayers, c.numHeads, c.numKvHeads,          c.headDim, static_cast<int>(ids.size()),
      c.vocabSize, ids,        std::move(rec.layers), {}};
  if (request.logits) out.logits = toFloats(logits);
  return out;
}

std::vector<int> LlamaModel::generate(const std::vector<int>& prompt, int nTokens,
                                      int stopId) const {
  torch::NoGradGuard noGrad;
  if (prompt.empty()) throw std::invalid_argument("generate: empty prompt");
  Cache cache = m_impl->emptyCache();
  auto logits = m_impl->forward(prompt, 0, cache, true, nullptr);
  std::vector<int> out;
  std::int64_t pos = static_cast<std::int64_t>(prompt.size());
  while (static_cast<int>(out.size()) < nTokens) {
    const int next = static_cast<int>(logits[logits.size(0) - 1].argmax().item<std::int64_t>());
    out.push_back(next);
    if (next == stopId || static_cast<int>(out.size()) == nTokens) break;
    logits = m_impl->forward({next}, pos++, cache, true, nullptr);
  }
  return out;
}

double LlamaModel::meanNll(const std::vector<int>& ids) const {
  torch::NoGradGuard noGrad;
  if (ids.size() < 2) throw std::invalid_argument("meanNll: needs at least 2 tokens");
  Cache cache = m_impl->emptyCache();
  const auto logits = m_impl->forward(ids, 0, cache, true, nullptr);
  const auto targets =
      torch::tensor(std::vector<std::int64_t>(ids.begin() + 1, ids.end()), torch::kLong)
          .to(m_impl->device);
  const auto logp = torch::log_softmax(logits.narrow(0, 0, logits.size(0) - 1), -1);
  return -logp.gather(1, targets.unsqueeze(1)).to(torch::kFloat64).mean().item<double>();
}

std::vector<float> LlamaModel::continuationLogits(
    const std::vector<int>& ids, int contextLength,
    const std::vector<CacheSubstitution>& substitutions) const {
  torch::NoGradGuard noGrad;
  if (contextLength < 1 || static_cast<std::size_t>(contextLength) >= ids.size())
    throw std::invalid_argument("continuationLogits: need 1 <= context < number of tokens");
  return toFloats(m_impl->continuationLogits(ids, contextLength, substitutions));
}

PerplexityResult LlamaModel::perplexityWithCache(
    const std::vector<int>& ids, int contextLength,
    const std::vector<CacheSubstitution>& substitutions) const {
  torch::NoGradGuard noGrad;
  if (contextLength < 1 || static_cast<std::size_t>(contextLength) >= ids.size())
    throw std::invalid_argument("perplexityWithCache: need 1 <= context < number of tokens");
  PerplexityResult r;
  r.scoredTokens = static_cast<int>(ids.size()) - contextLength;
  r.exactMeanNll = m_impl->continuationNll(ids, contextLength, {}).mean().item<double>();
  r.meanNll = m_impl->continuationNll(ids, contextLength, substitutions).mean().item<double>();
  r.exactPerplexity = std::exp(r.exactMeanNll);
  r.perplexity = std::exp(r.meanNll);
  return r;
}

}  // namespace kvwb::core
