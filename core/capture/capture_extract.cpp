// Extraction of real KV caches into a project.
#include "core/capture/capture_extract.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/errors.h"
#include "core/formats/dtype.h"
#include "core/model/llama_model.h"
#include "core/model/tokenizer.h"
#include "core/project/project.h"
#include "core/project/time_stamp.h"

namespace kvwb::core {

std::string readText(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, "cannot read text file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path captureModelPath(const std::filesystem::path& project,
                                       const std::string& metadataJson) {
  const auto meta = nlohmann::json::parse(metadataJson, nullptr, false);
  if (!meta.is_object() || !meta.contains("model") || !meta["model"].is_string()) return {};
  const std::filesystem::path model = meta["model"].get<std::string>();
  if (model.is_absolute()) return model;
  const auto beside = std::filesystem::absolute(project).parent_path() / model;
  if (std::filesystem::exists(beside) || !meta.contains("model_absolute")) return beside;
  return meta["model_absolute"].get<std::string>();  // a copied project on the same machine
}

namespace {

// The model as a capture records it: relative to the project's folder when the model is inside or
// beside the project (the two move together), else absolute.
std::filesystem::path recordedModelPath(const std::filesystem::path& model,
                                        const std::filesystem::path& project) {
  const auto absolute = std::filesystem::absolute(model).lexically_normal();
  const auto relative =
      absolute.lexically_relative(std::filesystem::absolute(project).parent_path().lexically_normal());
  if (relative.empty() || *relative.begin() == "..") return absolute;
  return relative;
}

nlohmann::json configJson(const ModelConfig& c) {
  return {{"model_type", c.modelType},       {"hidden_size", c.hiddenSize},
          {"intermediate_size", c.intermediateSize}, {"num_hidden_layers", c.numLayers},
          {"num_attention_heads", c.numHeads}, {"num_key_value_heads", c.numKvHeads},
          {"head_dim", c.headDim},           {"vocab_size", c.vocabSize},
          {"rms_norm_eps", c.rmsNormEps},    {"rope_theta", c.ropeTheta},
          {"rope_scaling", c.ropeScaling.type}, {"tie_word_embeddings", c.tieWordEmbeddings}};
}

// The last guard of extraction: whatever the checkpoint holds, a capture with NaN or Inf is never
// stored (import refuses the same data).
void requireFinite(const KvCapture& kv, const std::filesystem::path& model) {
  for (int l = 0; l < kv.numLayers; ++l) {
    const auto& layer = kv.layers[l];
    const std::pair<const char*, const std::vector<float>*> tensors[] = {
        {"keys", &layer.keys},
        {"values", &layer.values},
        {"queries", &layer.queries},
        {"pre-RoPE keys", &layer.keysPreRope}};
    for (const auto& [name, values] : tensors) {
      const auto bad = findNonFinite(DType::F32, values->data(), values->size());
      if (bad >= 0)
        throw InputError(model, std::string("the model produced NaN or Inf in layer ") +
                                    std::to_string(l) + " " + name + " at element " +
                                    std::to_string(bad) +
                                    " (check its weights, rope_theta and rms_norm_eps); nothing "
                                    "was stored");
    }
  }
}

}  // namespace

CaptureInfo extractCapture(const ExtractOptions& o, const std::filesystem::path& project,
                           JobContext& ctx) {
  if (o.tokens < 2) throw InputError(o.textFile, "--tokens must be at least 2");
  ctx.report(0.0, "loading model");
  // An unsupported architecture is refused (config.json and the field named) before a tokenizer
  // it may not have gives a less telling error.
  if (std::filesystem::is_directory(o.model)) parseModelConfig(o.model / "config.json");
  const auto tokPath = o.tokenizer.empty() ? Tokenizer::findFor(o.model) : o.tokenizer;
  const auto tokenizer = Tokenizer::load(tokPath);
  LoadOptions load;
  load.device = o.device;
  load.dtype = o.dtype;
  const LlamaModel model(o.model, load);
  ctx.checkCancelled();

  const auto text = readText(o.textFile);
  const auto all = tokenizer.encode(text, /*addBos=*/true);
  const auto available = static_cast<int>(all.size()) - o.startToken;
  if (o.startToken < 0 || available < o.tokens)
    throw InputError(o.textFile, "holds " + std::to_string(all.size()) + " tokens; a window of " +
                                     std::to_string(o.tokens) + " from token " +
                                     std::to_string(o.startToken) +
                                     " does not fit (text is never repeated)");
  std::vector<int> ids;
  if (o.startToken == 0) {
    ids.assign(all.begin(), all.begin() + o.tokens);
  } else {  // a window inside the text still starts with BOS, as the model was trained
    ids.push_back(tokenizer.bosId());
    ids.insert(ids.end(), all.begin() + o.startToken + 1, all.begin() + o.startToken + o.tokens);
  }
  ctx.report(0.2, "running the model over " + std::to_string(ids.size()) + " tokens");
  CaptureRequest request;
  request.keysPreRope = true;
  request.queries = true;
  const auto kv = model.capture(ids, request);
  ctx.checkCancelled();
  requireFinite(kv, o.model);

  const auto& cfg = model.config();
  CaptureInfo info;
  info.name = o.captureName.empty() ? o.textFile.stem().string() : o.captureName;
  info.layers = kv.numLayers;
  info.kvHeads = kv.numKvHeads;
  info.queryHeads = kv.numHeads;
  info.tokens = kv.numTokens;
  info.headDim = kv.headDim;
  info.hasQueries = info.hasKeysPreRope = true;
  info.storageDtype = "float32";
  info.metadataJson = nlohmann::json{
      {"model", recordedModelPath(o.model, project).string()},
      {"model_absolute", std::filesystem::absolute(o.model).lexically_normal().string()},
      {"model_name", o.model.filename().string()},
      {"config", configJson(cfg)},
      {"rope_theta", cfg.ropeTheta},
      {"rope_layout", cfg.ropeInterleaved ? "interleaved" : "half"},
      {"prompt_label", o.promptLabel.empty() ? o.textFile.stem().string() : o.promptLabel},
      {"text_file", o.textFile.filename().string()},
      {"start_token", o.startToken},
      {"text", tokenizer.decode(ids)},
      {"device", model.device()},
      {"dtype", model.dtype()},
      {"extracted", utcTimestamp()},
      {"software_version", KVWB_VERSION}}.dump();

  ProjectEdit edit(project);
  edit.createCapture(info);
  auto bytes = [](const std::vector<float>& v) {
    return std::span<const std::byte>(reinterpret_cast<const std::byte*>(v.data()), v.size() * 4);
  };
  for (int l = 0; l < kv.numLayers; ++l) {
    const auto& layer = kv.layers[l];
    edit.writeLayer(info.name, TensorKind::Keys, l, DType::F32, bytes(layer.keys));
    edit.writeLayer(info.name, TensorKind::Values, l, DType::F32, bytes(layer.values));
    edit.writeLayer(info.name, TensorKind::Queries, l, DType::F32, bytes(layer.queries));
    edit.writeLayer(info.name, TensorKind::KeysPreRope, l, DType::F32, bytes(layer.keysPreRope));
    ctx.report(0.2 + 0.8 * (l + 1) / kv.numLayers, "layer " + std::to_string(l + 1));
  }
  const std::vector<std::int32_t> tokenIds(ids.begin(), ids.end());
  edit.writeTokenIds(info.name, tokenIds);
  edit.commit();
  return info;
}

}  // namespace kvwb::core
