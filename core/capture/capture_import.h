// Imports KV dumps (safetensors, .npy, .npz, HDF5) into a project as one capture.
// All-or-nothing: the project changes only when every tensor was read and checked (NaN/Inf,
// shapes); on any error or cancel the project is left exactly as it was.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/job_context.h"
#include "core/capture/kv_layout.h"
#include "core/project/project_types.h"

namespace kvwb::core {

struct ImportOptions {
  std::string captureName;    // default: the first dump's stem
  LayoutOptions layout;
  std::string promptLabel;    // fiction / code / conversation / technical ...
  std::string metadataJson = "{}";  // extra metadata merged into the capture's
};

// `dumps`: files, or folders whose supported files are all read. Creates `project` when absent.
CaptureInfo importCapture(const std::vector<std::filesystem::path>& dumps,
                          const std::filesystem::path& project, const ImportOptions& options,
                          JobContext& ctx);

}  // namespace kvwb::core
