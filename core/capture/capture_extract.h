// Extraction: run a real checkpoint over a window of a real text and store its KV cache as a
// capture (post-RoPE keys, pre-RoPE keys, values, queries, token ids, text, model config).
// The text is never repeated: a window longer than the text is an error.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/job_context.h"
#include "core/project/project_types.h"

namespace kvwb::core {

struct ExtractOptions {
  std::filesystem::path model;      // HF folder or llama2.c .bin
  std::filesystem::path tokenizer;  // default: Tokenizer::findFor(model)
  std::filesystem::path textFile;
  int tokens = 512;                 // window length, BOS included
  int startToken = 0;               // window start within the tokenized text (after BOS)
  std::string captureName;          // default: the text file's stem
  std::string promptLabel;          // default: the text file's stem
  std::string device = "auto";
  std::string dtype = "float32";
};

// Writes the capture into `project` (created when absent); all-or-nothing.
CaptureInfo extractCapture(const ExtractOptions& options, const std::filesystem::path& project,
                           JobContext& ctx);

// The checkpoint a capture was extracted from: metadata "model" is stored relative to the
// project's folder (so a project and its model move together), falling back to the absolute
// path recorded at extraction (a project copied elsewhere on the same machine).
// Returns an empty path when the metadata names no model.
// The whole text of a prompt file; throws InputError naming it when it cannot be read.
std::string readText(const std::filesystem::path& file);

std::filesystem::path captureModelPath(const std::filesystem::path& project, const std::string& metadataJson);

}  // namespace kvwb::core
