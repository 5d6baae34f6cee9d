// Batches of targets with everything their fits and metrics need (the head's keys and values,
// its query group, calibration tokens), read from a project once per target and shared by the
// sweep runner and the Compare view. Std-typed, no torch; one thread per TargetReader.
//
//   TargetReader reader(project, "fiction");
//   auto batch = buildKindBatch(reader, {{2, 1}}, "K", reader.info().tokens);
//   compressor->fit(batch.targets, params, batch.fitInputs(seed), device, ctx);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/compress/compressor.h"
#include "core/compress/fit_metrics.h"
#include "core/model/llama_model.h"
#include "core/project/project.h"

namespace kvwb::core {

// Reads a capture's targets, each once (keys, values, queries by layer and head): from a project,
// or from a capture the model has just made in memory (a text window of a quality evaluation).
class TargetReader {
 public:
  TargetReader(const Project& project, const std::string& capture);
  // `info` describes `kv` (its layers, heads, tokens, head_dim); `source` names it in messages.
  TargetReader(CaptureInfo info, const KvCapture& kv, std::filesystem::path source);
  const CaptureInfo& info() const { return m_info; }
  const std::filesystem::path& source() const { return m_source; }  // the project, for messages
  const FloatMatrix& read(TensorKind kind, int layer, int head);

 private:
  const Project* m_project = nullptr;  // null: every target is in m_targets
  std::filesystem::path m_source;
  CaptureInfo m_info;
  std::map<std::tuple<TensorKind, int, int>, FloatMatrix> m_targets;
};

struct TargetRef {
  int layer = 0, head = 0;
};

// Targets of one kind ("K" or "V") over their first `tokens` tokens, with each target's head's
// keys and values, its query group (G = query heads per KV head, when the capture has queries)
// and its remaining tokens as calibration (none when `tokens` is the whole capture).
struct KindBatch {
  std::string kind;
  std::string capture;  // the reader's capture name
  std::vector<TargetRef> refs;
  TargetBatch targets, keys, values, queries, calibration;
  int queriesPerTarget = 0;
  bool hasQueries = false;
  int layerCount = 0;  // the capture's layers
  RopeInfo rope;       // from the capture's metadata (extracted captures)

  // Pointers into this batch: keep it alive and unmoved while they are used.
  FitInputs fitInputs(std::uint64_t seed) const;
  AttentionContext attention() const;
};

// Throws InputError naming the project for a target outside the capture or a bad kind.
KindBatch buildKindBatch(TargetReader& reader, const std::vector<TargetRef>& refs, const std::string& kind,
                         std::int64_t tokens);

}  // namespace kvwb::core
