// Llama-family causal LM runner (LibTorch, behind this std-typed header): loads a Hugging Face
// folder (llama, mistral with its sliding window, qwen2, qwen3 with q/k norms) or a llama2.c .bin,
// computes logits, captures per-layer K/V/Q, generates greedily and scores perplexity with a
// substituted KV cache, one sequence or a batch of equal-length ones. One thread at a time per
// object.
//
//   kvwb::core::LlamaModel model("stories260K-hf");           // CUDA when available
//   auto tok = kvwb::core::Tokenizer::load("stories260K-hf");
//   auto capture = model.capture(tok.encode(text, true), {.queries = true});
//   capture.layers[0].keys;                                     // [kvHeads, T, headDim] floats
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model_config.h"

namespace kvwb::core {

struct LoadOptions {
  std::string device = "auto";    // "auto" (CUDA when available), "cpu", "cuda", "cuda:1", ...
  std::string dtype = "float32";  // "float32", "bfloat16", "float16", or "auto" (torch_dtype)
};

// What capture() returns per layer; vectors stay empty unless requested. Row-major shapes.
struct LayerCapture {
  std::vector<float> keys;         // [kvHeads, T, D] after RoPE (what the cache holds)
  std::vector<float> keysPreRope;  // [kvHeads, T, D] before RoPE (Qwen3: after k_norm)
  std::vector<float> values;       // [kvHeads, T, D]
  std::vector<float> queries;      // [heads, T, D] after RoPE
  std::vector<float> attnOutput;   // [heads, T, D] softmax(QK^T/sqrt(D))V per head, before o_proj
};

struct CaptureRequest {
  bool keys = true;
  bool keysPreRope = false;
  bool values = true;
  bool queries = false;
  bool attnOutput = false;
  bool logits = false;
};

struct KvCapture {
  int numLayers = 0, numHeads = 0, numKvHeads = 0, headDim = 0, numTokens = 0, vocabSize = 0;
  std::vector<int> tokens;
  std::vector<LayerCapture> layers;
  std::vector<float> logits;  // [T, vocab] when requested
};

// Replaces one target of the context cache: (layer, kv head, K or V), T x D row-major, T = the
// context length. Keys are post-RoPE, as the cache holds them. `keep` (T flags, empty: all kept)
// evicts positions: every query head of that KV head stops attending to a position that its K or
// its V substitution evicted, except the query at that very position (docs/EVICTION.md).
struct CacheSubstitution {
  int layer = 0;
  int head = 0;
  bool keys = true;
  std::vector<float> data;
  std::vector<std::uint8_t> keep;
};

struct PerplexityResult {
  int scoredTokens = 0;
  double meanNll = 0, perplexity = 0;            // with the substituted cache
  double exactMeanNll = 0, exactPerplexity = 0;  // same procedure, exact cache
  double deltaNll() const { return meanNll - exactMeanNll; }
  double deltaPerplexity() const { return perplexity - exactPerplexity; }
};

class LlamaModel {
 public:
  // A folder with config.json + model.safetensors (or model.safetensors.index.json and shards),
  // or a llama2.c .bin checkpoint. Throws InputError naming the file on any defect.
  explicit LlamaModel(const std::filesystem::path& path, const LoadOptions& options = {});
  ~LlamaModel();
  LlamaModel(LlamaModel&&) noexcept;
  LlamaModel& operator=(LlamaModel&&) noexcept;

  const ModelConfig& config() const;
  std::string device() const;  // "cpu", "cuda:0"
  std::string dtype() const;   // "float32", ...

  // Logits of every position, [ids.size(), vocab] row-major, float32.
  std::vector<float> logits(const std::vector<int>& ids) const;
  KvCapture capture(const std::vector<int>& ids, const CaptureRequest& request = {}) const;
  // capture() of B sequences of one length in a single forward pass with a batch dimension:
  // result[b] equals capture(ids[b], request) to float tolerance. Throws std::invalid_argument
  // when the lengths differ or a sequence is empty; no sequences give no captures.
  std::vector<KvCapture> captureBatch(const std::vector<std::vector<int>>& ids,
                                      const CaptureRequest& request = {}) const;
  // Greedy continuation of `prompt`: up to nTokens new ids, stopping after `stopId` if >= 0.
  std::vector<int> generate(const std::vector<int>& prompt, int nTokens, int stopId = -1) const;
  // Mean negative log-likelihood (nats/token) of ids[1..] given their prefixes.
  double meanNll(const std::vector<int>& ids) const;

  // Prefills ids[0..contextLength) into the cache, replaces the given targets, then scores
  // ids[contextLength..] one position at a time: the prediction of ids[C] comes from position
  // C-1 re-run as a query over the substituted cache; later positions attend to the substituted
  // context plus the exact cache of the continuation tokens before them. Runs the same
  // procedure without substitutions for the exact reference. Needs 1 <= C < ids.size().
  PerplexityResult perplexityWithCache(const std::vector<int>& ids, int contextLength,
                                       const std::vector<CacheSubstitution>& substitutions) const;
  // The logits of that procedure's predictions of ids[contextLength..], [ids.size() -
  // contextLength, vocab] row-major float32 (what core/quality/quality_stats.h compares).
  std::vector<float> continuationLogits(const std::vector<int>& ids, int contextLength,
                                        const std::vector<CacheSubstitution>& substitutions) const;
  // continuationLogits of B sequences of one length in batched forward passes, each with its own
  // substitutions (empty: the exact cache); result[b] equals continuationLogits(ids[b],
  // contextLength, substitutions[b]). Memory grows with B: callers bound it by their batch size.
  std::vector<std::vector<float>> continuationLogitsBatch(
      const std::vector<std::vector<int>>& ids, int contextLength,
      const std::vector<std::vector<CacheSubstitution>>& substitutions) const;
  // Greedy continuation, nTokens new ids per prefix (no stop id), from each prefix's cache with
  // its substitutions applied (T = the prefix length; all prefixes of one length): the first new
  // id comes from the last prefix position re-run as a query over the substituted cache (as in
  // continuationLogits), each later one from the substituted prefix cache plus the exact cache of
  // the ids generated before it. With no substitutions it equals generate(prefix, nTokens).
  std::vector<std::vector<int>> generateWithCacheBatch(
      const std::vector<std::vector<int>>& prefixes,
      const std::vector<std::vector<CacheSubstitution>>& substitutions, int nTokens) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kvwb::core
