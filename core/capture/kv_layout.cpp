// KV tensor recognition and shape validation for imports.
#include "core/capture/kv_layout.h"

#include <cstring>
#include <limits>
#include <regex>

#include "core/base/errors.h"

namespace kvwb::core {
namespace {

struct Found {
  const TensorFile* file;
  const TensorInfo* info;
};

std::optional<Found> findTensor(const std::vector<std::unique_ptr<TensorFile>>& files,
                                const std::string& name) {
  for (const auto& f : files)
    if (const auto* t = f->find(name)) return Found{f.get(), t};
  return std::nullopt;
}

const char* roleName(TensorKind k) { return datasetName(k); }

std::string defaultPattern(TensorKind k) {
  switch (k) {
    case TensorKind::Keys: return "past_key_values.{layer}.key";
    case TensorKind::Values: return "past_key_values.{layer}.value";
    case TensorKind::Queries: return "past_key_values.{layer}.query";
    case TensorKind::KeysPreRope: return "past_key_values.{layer}.key_prerope";
  }
  return "";
}

// Selects the batch row of a shape with a batch axis at `axis`; returns the row index.
std::int64_t pickBatch(const Found& t, std::size_t axis, const LayoutOptions& opt) {
  const auto b = t.info->shape[axis];
  if (opt.batch) {
    if (*opt.batch < 0 || *opt.batch >= b)
      throw InputError(t.file->path(), "tensor '" + t.info->name + "' has batch size " +
                                           std::to_string(b) + "; batch " +
                                           std::to_string(*opt.batch) + " does not exist");
    return *opt.batch;
  }
  if (b != 1)
    throw InputError(t.file->path(), "tensor '" + t.info->name + "' holds a batch of " +
                                         std::to_string(b) + " sequences; pick one with --batch");
  return 0;
}

// Slices for one role, or an empty vector when the dump does not hold it.
std::vector<LayerSlice> resolveRole(const std::vector<std::unique_ptr<TensorFile>>& files,
                                    TensorKind kind, const LayoutOptions& opt,
                                    std::vector<std::int64_t>& headsTokensDim) {
  const auto mapped = opt.mapping.find(roleName(kind));
  const bool isMapped = mapped != opt.mapping.end();
  std::string pattern = isMapped ? mapped->second : defaultPattern(kind);
  std::vector<LayerSlice> out;
  auto sliceOf = [&](const Found& t, std::size_t offsetElems, std::vector<std::int64_t> htd) {
    if (!isFloating(t.info->dtype))
      throw InputError(t.file->path(), "tensor '" + t.info->name + "' is " +
                                           dtypeName(t.info->dtype) + ", not floating point");
    if (headsTokensDim.empty()) headsTokensDim = htd;
    if (htd != headsTokensDim)
      throw InputError(t.file->path(), "tensor '" + t.info->name + "': layer shape " +
                                           shapeString(htd) + " differs from " +
                                           shapeString(headsTokensDim) + " of layer 0");
    const auto es = dtypeSize(t.info->dtype);
    const auto n = static_cast<std::size_t>(htd[0] * htd[1] * htd[2]);
    return LayerSlice{t.file, t.info->name, t.info->dtype, offsetElems * es, n * es};
  };

  if (pattern.find("{layer}") != std::string::npos) {
    const auto at = pattern.find("{layer}");
    for (std::int64_t l = 0;; ++l) {
      const auto name = pattern.substr(0, at) + std::to_string(l) + pattern.substr(at + 7);
      const auto t = findTensor(files, name);
      if (!t) break;
      const auto& s = t->info->shape;
      if (s.size() == 4) {
        const auto b = pickBatch(*t, 0, opt);
        out.push_back(sliceOf(*t, static_cast<std::size_t>(b * s[1] * s[2] * s[3]), {s[1], s[2], s[3]}));
      } else if (s.size() == 3) {
        out.push_back(sliceOf(*t, 0, s));
      } else {
        throw InputError(t->file->path(), "tensor '" + name + "' has shape " + shapeString(s) +
                                              "; expected [batch, heads, tokens, head_dim]");
      }
    }
    // A gap (layer 3 missing while 4 exists) is an error, not a shorter cache.
    const auto probe = pattern.substr(0, at) + std::to_string(out.size() + 1) + pattern.substr(at + 7);
    if (const auto t = findTensor(files, probe))
      throw InputError(t->file->path(), "layer " + std::to_string(out.size()) + " of " +
                                            roleName(kind) + " is missing but '" + probe +
                                            "' exists");
    if (!out.empty() || isMapped) {
      if (out.empty())
        throw InputError(files.front()->path(), std::string("mapping ") + roleName(kind) + "=" +
                                                    pattern + " matches no tensor");
      return out;
    }
    pattern = roleName(kind);  // fall back to the stacked name
  }
  const auto t = findTensor(files, pattern);
  if (!t) {
    if (isMapped)
      throw InputError(files.front()->path(), std::string("mapping ") + roleName(kind) + "=" +
                                                  pattern + " names no tensor");
    return out;
  }
  const auto& s = t->info->shape;
  if (s.size() == 4) {
    for (std::int64_t l = 0; l < s[0]; ++l)
      out.push_back(sliceOf(*t, static_cast<std::size_t>(l * s[1] * s[2] * s[3]), {s[1], s[2], s[3]}));
  } else if (s.size() == 5) {
    const auto b = pickBatch(*t, 1, opt);
    const auto per = s[2] * s[3] * s[4];
    for (std::int64_t l = 0; l < s[0]; ++l)
      out.push_back(sliceOf(*t, static_cast<std::size_t>((l * s[1] + b) * per), {s[2], s[3], s[4]}));
  } else {
    throw InputError(t->file->path(), "tensor '" + pattern + "' has shape " + shapeString(s) +
                                          "; expected [layers, heads, tokens, head_dim]");
  }
  return out;
}

std::vector<std::int32_t> readTokenIds(const std::vector<std::unique_ptr<TensorFile>>& files,
                                       const LayoutOptions& opt, std::int64_t tokens) {
  for (const char* name : {"token_ids", "input_ids"}) {
    const auto t = findTensor(files, name);
    if (!t) continue;
    const auto& s = t->info->shape;
    const auto bytes = t->file->read(name);
    std::size_t offset = 0;
    if (s.size() == 2) offset = static_cast<std::size_t>(pickBatch(*t, 0, opt) * s[1]);
    else if (s.size() != 1)
      throw InputError(t->file->path(), std::string("'") + name + "' must be 1-D or [batch, tokens]");
    if (s.back() != tokens)
      throw InputError(t->file->path(), std::string("'") + name + "' holds " +
                                            std::to_string(s.back()) + " tokens, the cache " +
                                            std::to_string(tokens));
    std::vector<std::int32_t> ids(static_cast<std::size_t>(tokens));
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto* p = bytes.data() + (offset + i) * dtypeSize(t->info->dtype);
      std::int64_t id = 0;
      switch (t->info->dtype) {
        case DType::I64: std::memcpy(&id, p, sizeof(std::int64_t)); break;
        case DType::I32: id = *reinterpret_cast<const std::int32_t*>(p); break;
        default:
          throw InputError(t->file->path(), std::string("'") + name + "' is not int32/int64");
      }
      if (id < 0 || id > std::numeric_limits<std::int32_t>::max())
        throw InputError(t->file->path(), std::string("'") + name + "' holds token id " +
                                              std::to_string(id) + " at position " +
                                              std::to_string(i) + " (ids must be 0 to 2^31-1)");
      ids[i] = static_cast<std::int32_t>(id);
    }
    return ids;
  }
  return {};
}

}  // namespace

KvLayout resolveKvLayout(const std::vector<std::unique_ptr<TensorFile>>& files,
                         const LayoutOptions& opt) {
  if (files.empty()) throw std::invalid_argument("resolveKvLayout: no files");
  for (const auto& [role, name] : opt.mapping)
    if (role != "keys" && role != "values" && role != "queries" && role != "keys_prerope")
      throw InputError(files.front()->path(), "unknown mapping role '" + role +
                                                  "' (use keys, values, queries, keys_prerope)");
  KvLayout layout;
  std::vector<std::int64_t> kvShape, qShape, preShape;
  auto keys = resolveRole(files, TensorKind::Keys, opt, kvShape);
  std::vector<std::int64_t> vShape;
  auto values = resolveRole(files, TensorKind::Values, opt, vShape);
  const auto& where = files.front()->path();
  if (keys.empty() || values.empty()) {
    std::string names;
    for (const auto& f : files)
      for (const auto& t : f->tensors()) names += (names.empty() ? "" : ", ") + t.name;
    if (names.size() > 300) names = names.substr(0, 300) + "...";
    throw InputError(where, std::string("no ") + (keys.empty() ? "keys" : "values") +
                                " found (expected past_key_values.<l>.key/.value or stacked "
                                "keys/values, or give --map); tensors present: " + names);
  }
  if (keys.size() != values.size() || kvShape != vShape)
    throw InputError(where, "K/V shape mismatch: keys are " + std::to_string(keys.size()) +
                                " x " + shapeString(kvShape) + ", values " +
                                std::to_string(values.size()) + " x " + shapeString(vShape));
  layout.layers = static_cast<std::int64_t>(keys.size());
  layout.kvHeads = kvShape[0];
  layout.tokens = kvShape[1];
  layout.headDim = kvShape[2];
  layout.queryHeads = layout.kvHeads;
  if (layout.kvHeads == 0 || layout.tokens == 0 || layout.headDim == 0)
    throw InputError(where, "the cache is empty: shape " + shapeString(kvShape));
  layout.slices[TensorKind::Keys] = std::move(keys);
  layout.slices[TensorKind::Values] = std::move(values);

  auto queries = resolveRole(files, TensorKind::Queries, opt, qShape);
  if (!queries.empty()) {
    const auto& first = queries.front();
    if (qShape[0] == 0)
      throw InputError(first.file->path(), "queries '" + first.tensor + "' have 0 heads: shape " +
                                               shapeString(qShape));
    if (static_cast<std::int64_t>(queries.size()) != layout.layers || qShape[1] != layout.tokens ||
        qShape[2] != layout.headDim || qShape[0] % layout.kvHeads != 0)
      throw InputError(first.file->path(),
                       "queries " + std::to_string(queries.size()) + " x " + shapeString(qShape) +
                           " do not fit keys " + std::to_string(layout.layers) + " x " +
                           shapeString(kvShape) + " (query heads must be a multiple of KV heads)");
    layout.queryHeads = qShape[0];
    layout.slices[TensorKind::Queries] = std::move(queries);
  }
  auto pre = resolveRole(files, TensorKind::KeysPreRope, opt, preShape);
  if (!pre.empty()) {
    if (static_cast<std::int64_t>(pre.size()) != layout.layers || preShape != kvShape)
      throw InputError(where, "keys_prerope " + shapeString(preShape) + " differ from keys " +
                                  shapeString(kvShape));
    layout.slices[TensorKind::KeysPreRope] = std::move(pre);
  }
  for (const auto& [kind, slices] : layout.slices)
    for (const auto& s : slices)
      if (s.dtype != DType::F16) layout.widestDtype = DType::F32;
  layout.tokenIds = readTokenIds(files, opt, layout.tokens);
  return layout;
}

}  // namespace kvwb::core
