// Recognises which tensors of a set of dump files hold the KV cache, and how (docs/IMPORT.md):
//  * per layer  `past_key_values.<l>.key|value|query|key_prerope`, [batch, heads, tokens, dim]
//    or [heads, tokens, dim];
//  * stacked    `keys|values|queries|keys_prerope`, [layers, heads, tokens, dim] or
//    [layers, batch, heads, tokens, dim];
//  * a mapping  role=NAME, where NAME is a tensor (stacked) or a pattern with `{layer}`.
// Optional `token_ids` / `input_ids` (1-D, or [batch, tokens]).
// Checks every shape (layers contiguous from 0, K/V equal, Q heads a multiple of KV heads) and
// throws InputError naming the file and tensor at the first defect.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/project/project_types.h"
#include "core/formats/tensor_file.h"

namespace kvwb::core {

struct LayoutOptions {
  std::map<std::string, std::string> mapping;  // role ("keys", ...) -> tensor name or pattern
  std::optional<std::int64_t> batch;           // which batch row, when the dump has several
};

// Where one layer [H, T, D] of one role lives.
struct LayerSlice {
  const TensorFile* file = nullptr;
  std::string tensor;
  DType dtype = DType::F32;
  std::size_t byteOffset = 0, byteCount = 0;
  std::span<const std::byte> read() const {
    return file->read(tensor).subspan(byteOffset, byteCount);
  }
};

struct KvLayout {
  std::int64_t layers = 0, kvHeads = 0, queryHeads = 0, tokens = 0, headDim = 0;
  std::map<TensorKind, std::vector<LayerSlice>> slices;  // per kind, one slice per layer
  std::vector<std::int32_t> tokenIds;                    // empty when the dump has none
  DType widestDtype = DType::F16;                        // storage choice: f16 only if all are
};

KvLayout resolveKvLayout(const std::vector<std::unique_ptr<TensorFile>>& files,
                         const LayoutOptions& options);

}  // namespace kvwb::core
