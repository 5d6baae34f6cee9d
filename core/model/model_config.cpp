// Hugging Face config.json → ModelConfig, with the defaults transformers applies.
#include "core/model/model_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"

namespace kvwb::core {
namespace {

using nlohmann::json;

template <typename T>
T optionalField(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

int requiredInt(const json& j, const char* key, const std::filesystem::path& path) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    throw InputError(path, std::string("missing integer field \"") + key + "\"");
  return it->get<int>();
}

// eos_token_id may be a list (Llama 3.1 instruct); the first entry is the stop token we use.
int tokenId(const json& j, const char* key, int fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_array()) return it->empty() ? fallback : (*it)[0].get<int>();
  return it->get<int>();
}

RopeScaling parseRopeScaling(const json& j, const std::filesystem::path& path) {
  RopeScaling s;
  const auto it = j.find("rope_scaling");
  if (it == j.end() || it->is_null()) return s;
  const json& r = *it;
  s.type =
      optionalField<std::string>(r, "rope_type", optionalField<std::string>(r, "type", "default"));
  s.factor = optionalField<double>(r, "factor", 1.0);
  s.lowFreqFactor = optionalField<double>(r, "low_freq_factor", s.lowFreqFactor);
  s.highFreqFactor = optionalField<double>(r, "high_freq_factor", s.highFreqFactor);
  s.originalMaxPositions =
      optionalField<int>(r, "original_max_position_embeddings", s.originalMaxPositions);
  if (s.type != "default" && s.type != "linear" && s.type != "llama3")
    throw InputError(path, "unsupported rope_scaling type \"" + s.type +
                               "\" (supported: default, linear, llama3)");
  if (s.factor <= 0) throw InputError(path, "rope_scaling.factor must be positive");
  if (s.type == "llama3" && s.highFreqFactor <= s.lowFreqFactor)
    throw InputError(path, "rope_scaling: high_freq_factor must exceed low_freq_factor");
  return s;
}

}  // namespace

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
    c.hiddenSize = requiredInt(j, "hidden_size", configJson);
    c.intermediateSize = requiredInt(j, "intermediate_size", configJson);
    c.numLayers = requiredInt(j, "num_hidden_layers", configJson);
    c.numHeads = requiredInt(j, "num_attention_heads", configJson);
    c.numKvHeads = optionalField<int>(j, "num_key_value_heads", c.numHeads);
    c.headDim = optionalField<int>(j, "head_dim", c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0);
    c.vocabSize = requiredInt(j, "vocab_size", configJson);
    c.maxPositions = optionalField<int>(j, "max_position_embeddings", 2048);
    c.rmsNormEps = optionalField<double>(j, "rms_norm_eps", 1e-6);
    c.ropeTheta = optionalField<double>(j, "rope_theta", 10000.0);
    c.ropeScaling = parseRopeScaling(j, configJson);
    c.tieWordEmbeddings = optionalField<bool>(j, "tie_word_embeddings", false);
    const bool attentionBias = optionalField<bool>(j, "attention_bias", false);
    c.qkvBias = attentionBias || c.modelType == "qwen2";
    c.outputBias = attentionBias;
    c.bosTokenId = tokenId(j, "bos_token_id", 1);
    c.eosTokenId = tokenId(j, "eos_token_id", 2);
    c.torchDtype = optionalField<std::string>(j, "torch_dtype", "float32");
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
  if (c.headDim % 2 != 0) throw InputError(source, "head_dim must be even for RoPE");
}

}  // namespace kvwb::core
