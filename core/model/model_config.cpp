// Hugging Face config.json → ModelConfig, with the defaults transformers applies.
#include "core/model/model_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/base/errors.h"
#include "core/base/json_int.h"

namespace kvwb::core {
namespace {

using nlohmann::json;

template <typename T>
T optionalField(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

// `value` as an int: refuses fractions (3.7), floating spellings (1e30) and anything outside the
// int range instead of letting JSON's conversion truncate it. `key` labels the error.
int strictInt(const json& value, const char* key, const std::filesystem::path& path) {
  const std::string field = std::string("\"") + key + "\"";
  if (!value.is_number_integer())
    throw InputError(path, field + " must be an integer, got " + value.dump());
  const auto v = jsonInt(value);
  if (!v) throw InputError(path, field + " = " + value.dump() + " is out of range");
  return *v;
}

// The int at `key`; `fallback` when absent or null, an error naming the field when there is none.
int intField(const json& j, const char* key, std::optional<int> fallback,
             const std::filesystem::path& path) {
  const auto it = j.find(key);
  if (it != j.end() && !it->is_null()) return strictInt(*it, key, path);
  if (!fallback) throw InputError(path, std::string("missing integer field \"") + key + "\"");
  return *fallback;
}

// eos_token_id may be a list (Llama 3.1 instruct); the first entry is the stop token we use.
int tokenId(const json& j, const char* key, int fallback, const std::filesystem::path& path) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_array()) return it->empty() ? fallback : strictInt((*it)[0], key, path);
  return strictInt(*it, key, path);
}

// rope_scaling, or transformers 5's rope_parameters (which also holds rope_theta); null if neither.
const json* ropeObject(const json& j) {
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const auto it = j.find(key);
    if (it != j.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

RopeScaling parseRopeScaling(const json& j, const std::filesystem::path& path) {
  RopeScaling s;
  const json* found = ropeObject(j);
  if (!found) return s;
  const json& r = *found;
  s.type =
      optionalField<std::string>(r, "rope_type", optionalField<std::string>(r, "type", "default"));
  s.factor = optionalField<double>(r, "factor", 1.0);
  s.lowFreqFactor = optionalField<double>(r, "low_freq_factor", s.lowFreqFactor);
  s.highFreqFactor = optionalField<double>(r, "high_freq_factor", s.highFreqFactor);
  s.originalMaxPositions =
      intField(r, "original_max_position_embeddings", s.originalMaxPositions, path);
  if (s.type != "default" && s.type != "linear" && s.type != "llama3")
    throw InputError(path, "unsupported rope_scaling type \"" + s.type +
                               "\" (supported: default, linear, llama3)");
  if (!(s.factor > 0) || !std::isfinite(s.factor))
    throw InputError(path, "rope_scaling.factor must be positive and finite");
  if (s.type == "llama3" && s.highFreqFactor <= s.lowFreqFactor)
    throw InputError(path, "rope_scaling: high_freq_factor must exceed low_freq_factor");
  if (optionalField<double>(r, "partial_rotary_factor", 1.0) != 1.0)
    throw InputError(path, "partial_rotary_factor other than 1 is not supported");
  return s;
}

// Fields whose semantics the runner does not implement: refused instead of computed wrongly.
void refuseUnsupportedFeatures(const json& j, const ModelConfig& c,
                               const std::filesystem::path& path) {
  for (const char* key : {"hidden_act", "hidden_activation"}) {
    const auto act = optionalField<std::string>(j, key, "silu");
    if (act != "silu")
      throw InputError(path,
                       std::string(key) + " \"" + act + "\" is not supported (supported: silu)");
  }
  if (optionalField<bool>(j, "mlp_bias", false))
    throw InputError(path, "\"mlp_bias\": true is not supported (MLP projections have no bias)");
  if (optionalField<double>(j, "partial_rotary_factor", 1.0) != 1.0)
    throw InputError(path, "partial_rotary_factor other than 1 is not supported");
  // Qwen's per-layer sliding window (layers from max_window_layers on) is not implemented.
  if (c.modelType != "mistral" && optionalField<bool>(j, "use_sliding_window", false))
    throw InputError(path, "model_type \"" + c.modelType +
                               "\" with \"use_sliding_window\": true is not supported");
  const auto layers = j.find("layer_types");
  if (layers != j.end() && !layers->is_null())
    for (const auto& type : *layers)
      if (type.get<std::string>() != "full_attention")
        throw InputError(path, "layer_types entry " + type.dump() +
                                   " is not supported (supported: full_attention)");
}

}  // namespace

const std::vector<std::string>& supportedModelTypes() {
  static const std::vector<std::string> types{"llama", "mistral", "qwen2", "qwen3"};
  return types;
}

ModelConfig parseModelConfig(const std::filesystem::path& configJson) {
  std::ifstream in(configJson);
  if (!in) throw InputError(configJson, "cannot open config.json");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(configJson, std::string("not valid JSON: ") + e.what());
  }
  ModelConfig c;
  try {
    c.modelType = optionalField<std::string>(j, "model_type", "llama");
    const auto& types = supportedModelTypes();
    if (std::find(types.begin(), types.end(), c.modelType) == types.end()) {
      std::string list;
      for (const auto& t : types) list += (list.empty() ? "" : ", ") + t;
      throw InputError(configJson, "model_type \"" + c.modelType +
                                       "\" is not supported (supported: " + list + ")");
    }
    c.hiddenSize = intField(j, "hidden_size", std::nullopt, configJson);
    c.intermediateSize = intField(j, "intermediate_size", std::nullopt, configJson);
    c.numLayers = intField(j, "num_hidden_layers", std::nullopt, configJson);
    c.numHeads = intField(j, "num_attention_heads", std::nullopt, configJson);
    c.numKvHeads = intField(j, "num_key_value_heads", c.numHeads, configJson);
    c.headDim = intField(j, "head_dim", c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0, configJson);
    c.vocabSize = intField(j, "vocab_size", std::nullopt, configJson);
    c.maxPositions = intField(j, "max_position_embeddings", 2048, configJson);
    c.rmsNormEps = optionalField<double>(j, "rms_norm_eps", 1e-6);
    const json* rope = ropeObject(j);
    c.ropeTheta = optionalField<double>(
        j, "rope_theta", rope ? optionalField<double>(*rope, "rope_theta", 10000.0) : 10000.0);
    c.ropeScaling = parseRopeScaling(j, configJson);
    c.tieWordEmbeddings = optionalField<bool>(j, "tie_word_embeddings", false);
    // Qwen2 always has q/k/v biases and never an o_proj bias; Llama, Mistral and Qwen3 follow
    // attention_bias for all four.
    const bool attentionBias = optionalField<bool>(j, "attention_bias", false);
    c.qkvBias = attentionBias || c.modelType == "qwen2";
    c.outputBias = attentionBias && c.modelType != "qwen2";
    c.qkNorm = c.modelType == "qwen3";
    if (c.modelType == "mistral") {  // null: full attention
      c.slidingWindow = intField(j, "sliding_window", 0, configJson);
      if (c.slidingWindow <= 0 && j.contains("sliding_window") && !j["sliding_window"].is_null())
        throw InputError(configJson, "\"sliding_window\" must be positive or null, got " +
                                         std::to_string(c.slidingWindow));
    }
    c.bosTokenId = tokenId(j, "bos_token_id", 1, configJson);
    c.eosTokenId = tokenId(j, "eos_token_id", 2, configJson);
    c.torchDtype = optionalField<std::string>(j, "torch_dtype", "float32");
    refuseUnsupportedFeatures(j, c, configJson);
  } catch (const json::exception& e) {
    throw InputError(configJson, std::string("field of the wrong type: ") + e.what());
  }
  validateModelConfig(c, configJson);
  return c;
}

void validateModelConfig(const ModelConfig& c, const std::filesystem::path& source) {
  if (c.hiddenSize <= 0 || c.intermediateSize <= 0 || c.numLayers <= 0 || c.numHeads <= 0 ||
      c.numKvHeads <= 0 || c.headDim <= 0 || c.vocabSize <= 0)
    throw InputError(source,
                     "sizes must be positive (hidden, intermediate, layers, heads, "
                     "kv heads, head_dim, vocab)");
  if (c.numHeads % c.numKvHeads != 0)
    throw InputError(source, "num_attention_heads " + std::to_string(c.numHeads) +
                                 " is not a multiple of num_key_value_heads " +
                                 std::to_string(c.numKvHeads));
  if (c.slidingWindow < 0)
    throw InputError(source, "sliding_window " + std::to_string(c.slidingWindow) +
                                 " must be positive (0 = full attention)");
  if (c.headDim % 2 != 0) throw InputError(source, "head_dim must be even for RoPE");
  for (const int heads : {c.numHeads, c.numKvHeads})
    if (static_cast<std::int64_t>(heads) * c.headDim > std::numeric_limits<int>::max())
      throw InputError(source, "heads x head_dim " + std::to_string(heads) + " x " +
                                   std::to_string(c.headDim) + " is out of range");
  // Both feed every layer: a zero or negative value turns the whole cache into NaN or Inf.
  if (!(c.ropeTheta > 0) || !std::isfinite(c.ropeTheta))
    throw InputError(source,
                     "rope_theta " + std::to_string(c.ropeTheta) + " must be positive and finite");
  if (!(c.rmsNormEps > 0) || !std::isfinite(c.rmsNormEps))
    throw InputError(
        source, "rms_norm_eps " + std::to_string(c.rmsNormEps) + " must be positive and finite");
}

}  // namespace kvwb::core
