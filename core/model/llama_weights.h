// Internal to kvwb_model (includes torch; never include from public headers or Qt code): the
// weight tensors of a Llama-family model and the loaders that fill them. Loading is
// single-threaded.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <vector>

#include "core/model/model_config.h"

namespace kvwb::core {

struct LayerWeights {
  torch::Tensor attnNorm, wq, wk, wv, wo, bq, bk, bv, bo;  // biases undefined when absent
  torch::Tensor qNorm, kNorm;  // [head_dim] (Qwen3), undefined when absent
  torch::Tensor ffnNorm, wGate, wUp, wDown;
};

struct LlamaWeights {
  ModelConfig config;
  torch::Tensor embed, finalNorm, lmHead;  // lmHead aliases embed when tied
  std::vector<LayerWeights> layers;
};

// Folder with config.json and model.safetensors or model.safetensors.index.json + shards.
LlamaWeights loadHfWeights(const std::filesystem::path& dir, torch::Device device,
                           torch::ScalarType dtype);
// llama2.c checkpoint: 7 int32 header (dim, hidden, layers, heads, kv heads, vocab, seq_len;
// negative vocab = untied classifier), then float32 tensors in run.c order.
LlamaWeights loadLlama2cWeights(const std::filesystem::path& bin, torch::Device device,
                                torch::ScalarType dtype);

}  // namespace kvwb::core
