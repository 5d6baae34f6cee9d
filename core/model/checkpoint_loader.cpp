// Checkpoint loaders: Hugging Face safetensors (single file or sharded with an index) and
// llama2.c .bin files, into torch tensors on the chosen device and dtype.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/formats/mapped_file.h"
#include "core/formats/tensor_file.h"
#include "core/model/llama_weights.h"

namespace kvwb::core {
namespace {

torch::ScalarType scalarTypeOf(DType t, const std::filesystem::path& file,
                               const std::string& name) {
  switch (t) {
    case DType::F32:
      return torch::kFloat32;
    case DType::F16:
      return torch::kFloat16;
    case DType::BF16:
      return torch::kBFloat16;
    default:
      throw InputError(file, "tensor " + name + " has dtype " + dtypeName(t) +
                                 "; expected float32, float16 or bfloat16");
  }
}

std::vector<std::int64_t> toShape(torch::IntArrayRef sizes) { return {sizes.begin(), sizes.end()}; }

// Named tensors of one checkpoint, possibly spread over shards.
class SafetensorsCheckpoint {
 public:
  explicit SafetensorsCheckpoint(const std::filesystem::path& dir) {
    const auto single = dir / "model.safetensors";
    const auto index = dir / "model.safetensors.index.json";
    if (std::filesystem::exists(single)) {
      m_files.push_back(openSafetensors(single));
      return;
    }
    if (!std::filesystem::exists(index))
      throw InputError(dir, "no model.safetensors or model.safetensors.index.json");
    std::ifstream in(index);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
      std::map<std::string, std::size_t> shardIndex;
      for (const auto& [name, shard] : j.at("weight_map").items()) {
        const auto file = shard.get<std::string>();
        auto [it, inserted] = shardIndex.emplace(file, m_files.size());
        if (inserted) m_files.push_back(openSafetensors(dir / file));
        m_owner[name] = it->second;
      }
    } catch (const nlohmann::json::exception& e) {
      throw InputError(index, std::string("bad index: ") + e.what());
    }
  }

  bool contains(const std::string& name) const { return locate(name) != nullptr; }

  // The tensor `name` with the expected shape, converted to device/dtype.
  torch::Tensor get(const std::string& name, const std::vector<std::int64_t>& shape,
                    torch::Device device, torch::ScalarType dtype) const {
    const TensorFile* file = locate(name);
    if (!file) throw InputError(m_files.front()->path(), "missing tensor " + name);
    const TensorInfo& info = *file->find(name);
    if (info.shape != shape)
      throw InputError(file->path(), "tensor " + name + " has shape " + shapeString(info.shape) +
                                         ", expected " + shapeString(shape));
    const auto type = scalarTypeOf(info.dtype, file->path(), name);
    const auto bytes = file->read(name);
    const auto bad =
        findNonFinite(info.dtype, bytes.data(), static_cast<std::size_t>(info.numel()));
    if (bad >= 0)
      throw InputError(file->path(), "tensor " + name + " holds NaN or Inf at element " +
                                         std::to_string(bad) + " (a cache from it would too)");
    auto t = torch::empty(shape, torch::TensorOptions().dtype(type));
    std::memcpy(t.data_ptr(), bytes.data(), bytes.size());  // copy: file data may be unaligned
    return t.to(device, dtype);
  }

 private:
  const TensorFile* locate(const std::string& name) const {
    if (m_owner.empty()) return m_files.front()->find(name) ? m_files.front().get() : nullptr;
    const auto it = m_owner.find(name);
    if (it == m_owner.end() || !m_files[it->second]->find(name)) return nullptr;
    return m_files[it->second].get();
  }

  std::vector<std::unique_ptr<TensorFile>> m_files;
  std::map<std::string, std::size_t> m_owner;  // sharded: tensor name -> file
};

}  // namespace

LlamaWeights loadHfWeights(const std::filesystem::path& dir, torch::Device device,
                           torch::ScalarType dtype) {
  LlamaWeights w;
  w.config = parseModelConfig(dir / "config.json");
  const ModelConfig& c = w.config;
  const SafetensorsCheckpoint ckpt(dir);
  auto get = [&](const std::string& name, std::vector<std::int64_t> shape) {
    return ckpt.get(name, shape, device, dtype);
  };
  const std::int64_t h = c.hiddenSize, qDim = c.numHeads * c.headDim,
                     kvDim = c.numKvHeads * c.headDim;
  w.embed = get("model.embed_tokens.weight", {c.vocabSize, h});
  w.finalNorm = get("model.norm.weight", {h});
  if (c.tieWordEmbeddings || !ckpt.contains("lm_head.weight"))
    w.lmHead = w.embed;
  else
    w.lmHead = get("lm_head.weight", {c.vocabSize, h});
  for (int l = 0; l < c.numLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.attnNorm = get(p + "input_layernorm.weight", {h});
    L.wq = get(p + "self_attn.q_proj.weight", {qDim, h});
    L.wk = get(p + "self_attn.k_proj.weight", {kvDim, h});
    L.wv = get(p + "self_attn.v_proj.weight", {kvDim, h});
    L.wo = get(p + "self_attn.o_proj.weight", {h, qDim});
    if (c.qkvBias) {
      L.bq = get(p + "self_attn.q_proj.bias", {qDim});
      L.bk = get(p + "self_attn.k_proj.bias", {kvDim});
      L.bv = get(p + "self_attn.v_proj.bias", {kvDim});
    }
    if (c.outputBias) L.bo = get(p + "self_attn.o_proj.bias", {h});
    if (c.qkNorm) {
      L.qNorm = get(p + "self_attn.q_norm.weight", {c.headDim});
      L.kNorm = get(p + "self_attn.k_norm.weight", {c.headDim});
    }
    L.ffnNorm = get(p + "post_attention_layernorm.weight", {h});
    L.wGate = get(p + "mlp.gate_proj.weight", {c.intermediateSize, h});
    L.wUp = get(p + "mlp.up_proj.weight", {c.intermediateSize, h});
    L.wDown = get(p + "mlp.down_proj.weight", {h, c.intermediateSize});
    w.layers.push_back(std::move(L));
  }
  return w;
}

LlamaWeights loadLlama2cWeights(const std::filesystem::path& bin, torch::Device device,
                                torch::ScalarType dtype) {
  const MappedFile file(bin);
  const auto bytes = file.bytes();
  std::int32_t header[7];
  if (bytes.size() < sizeof header) throw InputError(bin, "shorter than the 28-byte header");
  std::memcpy(header, bytes.data(), sizeof header);
  LlamaWeights w;
  ModelConfig& c = w.config;
  c.modelType = "llama2.c";
  c.hiddenSize = header[0];
  c.intermediateSize = header[1];
  c.numLayers = header[2];
  c.numHeads = header[3];
  c.numKvHeads = header[4];
  c.vocabSize = header[5] == std::numeric_limits<std::int32_t>::min() ? 0 : std::abs(header[5]);
  c.tieWordEmbeddings = header[5] > 0;
  c.maxPositions = header[6];
  c.headDim = c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0;
  c.ropeInterleaved = true;
  validateModelConfig(c, bin);
  if (c.maxPositions <= 0) throw InputError(bin, "seq_len must be positive");

  const std::int64_t h = c.hiddenSize, L = c.numLayers, ff = c.intermediateSize;
  const std::int64_t kvDim = c.numKvHeads * c.headDim, rope = c.maxPositions * c.headDim / 2;
  const std::int64_t floats = c.vocabSize * h +
                              L * (2 * h + h * h * 2 + 2 * h * kvDim + 3 * h * ff) + h + 2 * rope +
                              (c.tieWordEmbeddings ? 0 : c.vocabSize * h);
  const std::size_t expected = sizeof header + static_cast<std::size_t>(floats) * 4;
  if (bytes.size() != expected)
    throw InputError(bin, "size " + std::to_string(bytes.size()) +
                              " bytes does not match the header (" + std::to_string(expected) +
                              " bytes expected)");
  const auto bad =
      findNonFinite(DType::F32, bytes.data() + sizeof header, static_cast<std::size_t>(floats));
  if (bad >= 0)
    throw InputError(bin,
                     "weight " + std::to_string(bad) + " (a float after the header) is NaN or Inf");
  std::size_t offset = sizeof header;
  auto next = [&](std::vector<std::int64_t> shape) {
    auto t = torch::empty(shape, torch::kFloat32);
    const std::size_t n = static_cast<std::size_t>(t.numel()) * 4;
    std::memcpy(t.data_ptr(), bytes.data() + offset, n);
    offset += n;
    return t;
  };
  auto put = [&](torch::Tensor t) { return t.to(device, dtype); };
  w.embed = put(next({c.vocabSize, h}));
  const auto attnNorm = next({L, h}), wq = next({L, h, h}), wk = next({L, kvDim, h}),
             wv = next({L, kvDim, h}), wo = next({L, h, h}), ffnNorm = next({L, h}),
             w1 = next({L, ff, h}), w2 = next({L, h, ff}), w3 = next({L, ff, h});
  w.finalNorm = put(next({h}));
  offset += static_cast<std::size_t>(2 * rope) * 4;  // freq_cis_real/imag: recomputed instead
  w.lmHead = c.tieWordEmbeddings ? w.embed : put(next({c.vocabSize, h}));
  for (std::int64_t l = 0; l < L; ++l) {
    LayerWeights lw;
    lw.attnNorm = put(attnNorm[l]);
    lw.wq = put(wq[l]);
    lw.wk = put(wk[l]);
    lw.wv = put(wv[l]);
    lw.wo = put(wo[l]);
    lw.ffnNorm = put(ffnNorm[l]);
    lw.wGate = put(w1[l]);
    lw.wDown = put(w2[l]);
    lw.wUp = put(w3[l]);
    w.layers.push_back(std::move(lw));
  }
  return w;
}

}  // namespace kvwb::core
