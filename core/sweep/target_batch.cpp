// Target batches for fits and metrics (see target_batch.h).
#include "core/sweep/target_batch.h"

#include <algorithm>

#include "core/base/errors.h"

namespace kvwb::core {
namespace {

// Rows [from, from + n) of a T x D target appended to a batch.
void appendRows(TargetBatch& batch, const FloatMatrix& m, std::int64_t from, std::int64_t n) {
  batch.data.insert(batch.data.end(), m.data.begin() + from * m.cols, m.data.begin() + (from + n) * m.cols);
}

// RoPE as the extractor records it: rope_theta and rope_layout, with no scaling.
RopeInfo ropeOf(const CaptureInfo& info) {
  const auto meta = nlohmann::json::parse(info.metadataJson, nullptr, false);
  if (!meta.is_object() || !meta.contains("rope_theta") || !meta["rope_theta"].is_number()) return {};
  const auto layout = meta.value("rope_layout", std::string());
  const auto config = meta.value("config", nlohmann::json::object());
  const auto scaling = config.is_object() ? config.value("rope_scaling", nlohmann::json("default"))
                                          : nlohmann::json("default");
  if ((layout != "half" && layout != "interleaved") || !(scaling.is_null() || scaling == "default"))
    return {};
  return {meta["rope_theta"].get<double>(), layout == "interleaved"};
}

}  // namespace

TargetReader::TargetReader(const Project& project, const std::string& capture)
    : m_project(&project), m_source(project.path()), m_info(project.capture(capture)) {}

TargetReader::TargetReader(CaptureInfo info, const KvCapture& kv, std::filesystem::path source)
    : m_source(std::move(source)), m_info(std::move(info)) {
  const std::int64_t T = kv.numTokens, D = kv.headDim;
  // Head h of a [heads, T, D] layer tensor as one target.
  const auto add = [&](TensorKind kind, int layer, const std::vector<float>& all, int heads) {
    for (int h = 0; h < heads && !all.empty(); ++h) {
      const auto from = all.begin() + static_cast<std::ptrdiff_t>(h * T * D);
      m_targets[{kind, layer, h}] = FloatMatrix{T, D, {from, from + T * D}};
    }
  };
  for (int l = 0; l < kv.numLayers; ++l) {
    const LayerCapture& layer = kv.layers[static_cast<std::size_t>(l)];
    add(TensorKind::Keys, l, layer.keys, kv.numKvHeads);
    add(TensorKind::Values, l, layer.values, kv.numKvHeads);
    add(TensorKind::Queries, l, layer.queries, kv.numHeads);
  }
}

const FloatMatrix& TargetReader::read(TensorKind kind, int layer, int head) {
  const auto key = std::make_tuple(kind, layer, head);
  auto it = m_targets.find(key);
  if (it != m_targets.end()) return it->second;
  if (!m_project)
    throw InputError(m_source, "the window capture holds no " + std::string(shortName(kind)) + " target at layer " +
                                   std::to_string(layer) + " head " + std::to_string(head));
  return m_targets.emplace(key, m_project->readTarget(m_info.name, kind, layer, head)).first->second;
}

KindBatch buildKindBatch(TargetReader& reader, const std::vector<TargetRef>& refs, const std::string& kind,
                         std::int64_t tokens) {
  const auto& info = reader.info();
  if (kind != "K" && kind != "V")
    throw InputError(reader.source(), "target kind '" + kind + "' is not K or V");
  const auto N = tokens, T = info.tokens, D = info.headDim;
  const int G = static_cast<int>(info.queryHeads / std::max<std::int64_t>(1, info.kvHeads));
  KindBatch b;
  b.kind = kind;
  b.capture = info.name;
  b.refs = refs;
  b.hasQueries = info.hasQueries;
  b.queriesPerTarget = G;
  b.layerCount = static_cast<int>(info.layers);
  b.rope = ropeOf(info);
  b.targets = b.keys = b.values = b.queries = {0, N, D, {}};
  b.calibration = {0, T - N, D, {}};
  for (const auto& r : refs) {
    if (r.layer < 0 || r.layer >= info.layers || r.head < 0 || r.head >= info.kvHeads)
      throw InputError(reader.source(), "capture '" + info.name + "' has no layer " + std::to_string(r.layer) +
                                      " head " + std::to_string(r.head) + " (" + std::to_string(info.layers) +
                                      " layers x " + std::to_string(info.kvHeads) + " KV heads)");
    const auto& k = reader.read(TensorKind::Keys, r.layer, r.head);
    const auto& v = reader.read(TensorKind::Values, r.layer, r.head);
    const auto& x = kind == "K" ? k : v;
    appendRows(b.targets, x, 0, N);
    if (N < T) appendRows(b.calibration, x, N, T - N);
    appendRows(b.keys, k, 0, N);
    appendRows(b.values, v, 0, N);
    if (info.hasQueries)
      for (int g = 0; g < G; ++g) appendRows(b.queries, reader.read(TensorKind::Queries, r.layer, r.head * G + g), 0, N);
  }
  const auto n = static_cast<std::int64_t>(refs.size());
  b.targets.n = b.keys.n = b.values.n = n;
  b.calibration.n = N < T ? n : 0;
  b.queries.n = info.hasQueries ? n * G : 0;
  return b;
}

FitInputs KindBatch::fitInputs(std::uint64_t seed) const {
  FitInputs in;
  in.queries = hasQueries ? &queries : nullptr;
  in.queriesPerTarget = queriesPerTarget;
  in.keys = &keys;
  in.values = &values;
  for (const auto& r : refs) in.layers.push_back(r.layer), in.heads.push_back(r.head);
  in.capture = capture;
  in.layerCount = layerCount;
  in.rope = rope;
  in.calibration = calibration.n ? &calibration : nullptr;
  in.kind = kind;
  in.seed = seed;
  return in;
}

AttentionContext KindBatch::attention() const {
  AttentionContext att;
  att.queries = &queries;
  att.queriesPerTarget = queriesPerTarget;
  att.keys = &keys;
  att.values = &values;
  att.isKeys.assign(refs.size(), kind == "K" ? 1 : 0);
  return att;
}

}  // namespace kvwb::core
