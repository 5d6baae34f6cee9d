// Capture import: open dumps, resolve the KV layout, check values, write copy-on-write.
#include "core/capture/capture_import.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/project/time_stamp.h"

namespace kvwb::core {
namespace {

std::vector<std::unique_ptr<TensorFile>> openDumps(const std::vector<std::filesystem::path>& dumps) {
  std::vector<std::unique_ptr<TensorFile>> files;
  for (const auto& d : dumps) {
    if (std::filesystem::is_directory(d)) {
      std::vector<std::filesystem::path> inside;
      for (const auto& e : std::filesystem::directory_iterator(d))
        if (isDumpFile(e.path())) inside.push_back(e.path());
      std::sort(inside.begin(), inside.end());
      if (inside.empty()) throw InputError(d, "folder holds no " + dumpSuffixesText() + " dump");
      for (const auto& p : inside) files.push_back(openTensorFile(p));
    } else {
      files.push_back(openTensorFile(d));
    }
  }
  if (files.empty()) throw std::invalid_argument("importCapture: no dump given");
  return files;
}

// Multi-index [head, token, dim] of a flat element index within one layer, for messages.
std::string locate(std::int64_t i, std::int64_t tokens, std::int64_t dim) {
  const auto per = tokens * dim;
  return "head " + std::to_string(i / per) + ", token " + std::to_string(i % per / dim) +
         ", dim " + std::to_string(i % dim);
}

}  // namespace

CaptureInfo importCapture(const std::vector<std::filesystem::path>& dumps,
                          const std::filesystem::path& project, const ImportOptions& options,
                          JobContext& ctx) {
  const auto files = openDumps(dumps);
  const auto layout = resolveKvLayout(files, options.layout);

  CaptureInfo info;
  info.name = options.captureName.empty() ? dumps.front().stem().string() : options.captureName;
  info.layers = layout.layers;
  info.kvHeads = layout.kvHeads;
  info.queryHeads = layout.queryHeads;
  info.tokens = layout.tokens;
  info.headDim = layout.headDim;
  info.hasQueries = layout.slices.count(TensorKind::Queries) > 0;
  info.hasKeysPreRope = layout.slices.count(TensorKind::KeysPreRope) > 0;
  info.storageDtype = layout.widestDtype == DType::F16 ? "float16" : "float32";
  nlohmann::json meta = nlohmann::json::parse(options.metadataJson, nullptr, false);
  if (!meta.is_object()) meta = nlohmann::json::object();
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& f : files) sources.push_back(std::filesystem::absolute(f->path()).string());
  meta["source_files"] = sources;
  meta["source_dtype"] = dtypeName(layout.slices.at(TensorKind::Keys).front().dtype);
  meta["imported"] = utcTimestamp();
  if (!options.promptLabel.empty()) meta["prompt_label"] = options.promptLabel;
  info.metadataJson = meta.dump();

  ProjectEdit edit(project);
  edit.createCapture(info);
  std::size_t total = 0, done = 0;
  for (const auto& [kind, slices] : layout.slices) total += slices.size();
  for (const auto& [kind, slices] : layout.slices) {
    for (std::size_t l = 0; l < slices.size(); ++l) {
      ctx.checkCancelled();
      const auto& s = slices[l];
      const auto bytes = s.read();
      const auto n = bytes.size() / dtypeSize(s.dtype);
      const auto bad = findNonFinite(s.dtype, bytes.data(), n);
      if (bad >= 0)
        throw InputError(s.file->path(), "tensor '" + s.tensor + "' (layer " + std::to_string(l) +
                                             ") holds NaN or Inf at " +
                                             locate(bad, layout.tokens, layout.headDim));
      edit.writeLayer(info.name, kind, static_cast<std::int64_t>(l), s.dtype, bytes);
      ++done;
      ctx.report(static_cast<double>(done) / static_cast<double>(total),
                 std::string(datasetName(kind)) + " layer " + std::to_string(l + 1) + "/" +
                     std::to_string(slices.size()));
    }
  }
  if (!layout.tokenIds.empty()) edit.writeTokenIds(info.name, layout.tokenIds);
  edit.commit();
  ctx.report(1.0, "imported " + info.name);
  return info;
}

}  // namespace kvwb::core
