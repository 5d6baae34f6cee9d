// Architecture of a Llama-family checkpoint (Llama 2/3, Mistral, Qwen2, Qwen3, SmolLM, llama2.c),
// parsed from a Hugging Face config.json or a llama2.c header. Plain data; safe to share across
// threads.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kvwb::core {

struct RopeScaling {
  std::string type = "default";  // "default", "linear" or "llama3"
  double factor = 1.0;
  double lowFreqFactor = 1.0;       // llama3 only
  double highFreqFactor = 4.0;      // llama3 only
  int originalMaxPositions = 8192;  // llama3 only
};

struct ModelConfig {
  std::string modelType = "llama";
  int hiddenSize = 0;
  int intermediateSize = 0;
  int numLayers = 0;
  int numHeads = 0;
  int numKvHeads = 0;
  int headDim = 0;  // hidden_size / num_attention_heads when config.json omits it
  int vocabSize = 0;
  int maxPositions = 0;
  double rmsNormEps = 1e-5;
  double ropeTheta = 10000.0;
  RopeScaling ropeScaling;
  bool ropeInterleaved = false;  // llama2.c pairs (2i, 2i+1); HF rotate_half pairs (i, i + D/2)
  bool tieWordEmbeddings = false;
  bool qkvBias = false;     // attention_bias, or model_type "qwen2"
  bool outputBias = false;  // o_proj bias (attention_bias in Llama and Qwen3 configs)
  bool qkNorm = false;      // Qwen3: RMSNorm of each q and k head (q_norm, k_norm) before RoPE
  int slidingWindow = 0;    // Mistral: a position attends to the last N positions; 0 = all
  int bosTokenId = 1;
  int eosTokenId = 2;
  std::string torchDtype = "float32";  // "float32", "bfloat16", "float16"

  int queriesPerKvHead() const { return numHeads / numKvHeads; }
};

// The model_type values parseModelConfig accepts: "llama", "mistral", "qwen2", "qwen3".
const std::vector<std::string>& supportedModelTypes();

// Parses config.json; throws InputError naming the file on a missing or inconsistent field, an
// unknown model_type, or a field whose semantics the runner does not implement (hidden_act other
// than silu, mlp_bias, Qwen's use_sliding_window, ...).
ModelConfig parseModelConfig(const std::filesystem::path& configJson);

// Checks the derived sizes (heads divide, positive dims); throws InputError naming `source`.
void validateModelConfig(const ModelConfig& config, const std::filesystem::path& source);

}  // namespace kvwb::core
